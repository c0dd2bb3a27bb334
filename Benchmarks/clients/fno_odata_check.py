"""Talks to `switchboard emulate finance-operations` as an integration would: a token from
azure-identity's ClientSecretCredential (Microsoft's Python library, unchanged but for the
authority and the CA), then OData requests shaped as Microsoft's documentation shows them.
Needs: pip install azure-identity requests

    switchboard emulate finance-operations --self-signed /tmp/fno-tls --port 8444 &
    python3 Benchmarks/clients/fno_odata_check.py 8444 /tmp/fno-tls/ca.pem
"""
import os
import sys

port, ca = sys.argv[1], sys.argv[2]
os.environ["REQUESTS_CA_BUNDLE"] = ca  # requests (used by MSAL and below) trusts the emulator's CA

import requests  # noqa: E402
from azure.identity import ClientSecretCredential  # noqa: E402

base = f"https://127.0.0.1:{port}"
credential = ClientSecretCredential(
    "switchboard", "switchboard-app", "switchboard-secret",
    authority=base, disable_instance_discovery=True, connection_verify=ca,
)
# The audience is the environment's URL, as Finance & Operations requires.
token = credential.get_token(f"{base}/.default").token
session = requests.Session()
session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json", "OData-Version": "4.0"})
data = f"{base}/data"

created = session.post(f"{data}/CustomersV3", json={
    "CustomerAccount": "PY-001", "OrganizationName": "Python Traders", "CustomerGroupId": "10", "SalesCurrencyCode": "USD",
})
assert created.status_code == 201, created.text
assert created.headers["Location"] == f"{data}/CustomersV3(dataAreaId='usmf',CustomerAccount='PY-001')", created.headers
print("created", created.json()["CustomerAccount"], created.headers["ETag"])

key = f"{data}/CustomersV3(dataAreaId='usmf',CustomerAccount='PY-001')"
assert session.patch(key, json={"CreditLimit": 1500}, headers={"If-Match": "*"}).status_code == 204
read = session.get(key, params={"$select": "CustomerAccount,CreditLimit"})
assert read.status_code == 200 and read.json()["CreditLimit"] == 1500, read.text
print("read", read.json())

# contains is a wildcard; the function form is refused, as on the service.
found = session.get(f"{data}/CustomersV3", params={"$filter": "OrganizationName eq '*traders*'", "$count": "true"})
assert found.status_code == 200 and found.json()["@odata.count"] == 1, found.text
refused = session.get(f"{data}/CustomersV3", params={"$filter": "contains(OrganizationName,'Traders')"})
assert refused.status_code == 400, refused.text
print("queried", [c["OrganizationName"] for c in found.json()["value"]])

failed = session.post(f"{data}/CustomersV3", json={"CustomerAccount": "PY-002"})
assert failed.status_code == 500 and "must be filled in" in failed.json()["error"]["innererror"]["message"], failed.text
print("refused", failed.json()["error"]["innererror"]["message"])

assert session.delete(key, headers={"If-Match": "*"}).status_code == 204
assert session.get(key).status_code == 404
print("finance and operations check passed")
