#!/usr/bin/env python3
"""Drives the hub's dashboard in headless Chromium (Debian's chromium and chromium-driver, with
python3-selenium): signs in with a token, reads the overview, replays a dead letter, and saves a
screenshot of each page. Prints one line per step; exits 1 at the first step that fails.

Usage: dashboard_check.py BASE_URL TOKEN DEAD_MESSAGE_ID SCREENSHOT_DIR
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, token, message_id, shots = sys.argv[1:5]
options = webdriver.ChromeOptions()
for argument in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, step):
    if not condition:
        print("FAILED: " + step)
        driver.quit()
        sys.exit(1)
    print("ok: " + step)


try:
    driver.get(base + "/")
    check(driver.current_url.endswith("/login"), "an anonymous visitor is sent to the sign-in page")
    driver.find_element(By.NAME, "token").send_keys("sbt_not-a-token")
    driver.find_element(By.TAG_NAME, "form").submit()
    check("That token is not valid" in driver.page_source, "a wrong token is refused with a sentence")
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.TAG_NAME, "form").submit()
    check(driver.current_url.rstrip("/") == base and "Integrations" in driver.title, "signing in with the token shows the overview")
    check("orders" in driver.page_source and "<svg" in driver.page_source, "the overview lists the integration with its charts")
    driver.save_screenshot(shots + "/overview.png")
    driver.get(base + "/dead-letters")
    check(message_id in driver.page_source, "the dead letter is listed")
    driver.save_screenshot(shots + "/dead-letters.png")
    driver.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=id][value='%s']" % message_id).click()
    driver.find_element(By.XPATH, "//button[text()='Replay selected']").click()
    # A click does not wait for the page it submits to: wait for the answer's page (10 s at most).
    try:
        WebDriverWait(driver, 10).until(lambda d: "/dead-letters?replayed=" in d.current_url)
    except Exception:
        pass
    check("/dead-letters?replayed=" in driver.current_url, "replay returns to the dead letters")
    check("Replayed 1 message; each will be delivered again: " + message_id in driver.page_source, "the page confirms the replay")
    check(not driver.find_elements(By.CSS_SELECTOR, "input[name=id][value='%s']" % message_id), "the replayed message is no longer dead")
    driver.get(base + "/messages/" + message_id)
    check("replayed" in driver.page_source and "on the dashboard" in driver.page_source, "the message's history names who replayed it")
    driver.save_screenshot(shots + "/message.png")
    driver.get(base + "/landscape")
    check("Integration strategy checklist" in driver.page_source, "the landscape page shows the checklist")
finally:
    driver.quit()
print("done")
