"""Runs Microsoft's Python Dataverse SDK, unchanged, against `switchboard emulate dataverse`.

Only the environment URL, the authority (for the token) and the CA to trust differ from a real
environment. Needs: pip install PowerPlatform-Dataverse-Client azure-identity

    switchboard emulate dataverse --self-signed /tmp/emulator-tls --port 8443 &
    python3 Benchmarks/clients/python_sdk_check.py 8443 /tmp/emulator-tls/ca.pem
"""
import os
import sys

port, ca = sys.argv[1], sys.argv[2]
os.environ["REQUESTS_CA_BUNDLE"] = ca  # requests (used by the SDK and by MSAL) trusts the emulator's CA

from azure.identity import ClientSecretCredential  # noqa: E402
from PowerPlatform.Dataverse.client import DataverseClient  # noqa: E402
from PowerPlatform.Dataverse.models.upsert import UpsertItem  # noqa: E402

base = f"https://127.0.0.1:{port}"
import requests  # noqa: E402
requests.post(f"{base}/_emulator/reset", verify=ca).raise_for_status()  # start from no records
credential = ClientSecretCredential(
    "switchboard", "switchboard-app", "switchboard-secret",
    authority=base, disable_instance_discovery=True, connection_verify=ca,
)
client = DataverseClient(base, credential)

ids = client.records.create("account", [{"name": "SDK one", "accountnumber": "SDK-1"}, {"name": "SDK two", "accountnumber": "SDK-2"}])
print("created", ids)
client.records.update("account", ids[0], {"telephone1": "555-0100"})
record = client.records.retrieve("account", ids[0], select=["name", "telephone1"])
print("read", record["name"], record["telephone1"])
assert record["telephone1"] == "555-0100"
client.records.upsert("account", [UpsertItem(alternate_key={"accountnumber": "SDK-3"}, record={"name": "SDK three"}),
                                  UpsertItem(alternate_key={"accountnumber": "SDK-1"}, record={"name": "SDK one"})])
pages = list(client.records.list("account", filter="startswith(name,'SDK')", select=["name"]))
names = sorted(r["name"] for page in pages for r in (page if isinstance(page, list) else [page]))
print("queried", names)
assert names == ["SDK one", "SDK three", "SDK two"], names
client.records.delete("account", ids[1])
print("python SDK check passed")
