// lifecycle.js — Volcengine's official Node SDK (@volcengine/openapi, pinned
// in package.json) drives portico-sim through an asset's whole life cycle,
// signing every request with the SDK's own signer (lib/base/sign.js:
// SignedHeaders "x-content-sha256;x-date", no host). Run by
// tests/blackbox/test_volc_sdk.py, which asserts on what this prints: one
// JSON object per line, {"step", "status", "signedHeaders", "response"}.
//
// Environment: SIM_HOST (127.0.0.1:PORT), SIM_AK, SIM_SK, MEDIA_URL.
"use strict";
const { Service } = require("@volcengine/openapi");
// The SDK calls the default axios instance (lib/base/fetch.js) and returns
// only the body; interceptors on that same instance let this script see the
// HTTP status and the Authorization the SDK signed.
const axios = require("axios");

let last = { status: 0, signedHeaders: "" };
axios.interceptors.request.use((config) => {
  const auth = String((config.headers && (config.headers.Authorization || config.headers.authorization)) || "");
  const m = /SignedHeaders=([^,]*)/.exec(auth);
  last.signedHeaders = m ? m[1] : "";
  return config;
});
axios.interceptors.response.use((res) => {
  last.status = res.status;
  return res;
});

const host = process.env.SIM_HOST;
const mediaURL = process.env.MEDIA_URL;

function service(secretKey) {
  return new Service({
    host,
    protocol: "http:",
    region: "cn-beijing",
    serviceName: "ark",
    accessKeyId: process.env.SIM_AK,
    secretKey,
    defaultVersion: "2024-01-01",
  });
}

const good = service(process.env.SIM_SK);

async function call(svc, action, body) {
  const api = svc.createAPI(action, { Version: "2024-01-01", method: "POST", contentType: "json" });
  last = { status: 0, signedHeaders: "" };
  const response = await api(body);
  return { status: last.status, signedHeaders: last.signedHeaders, response };
}

function print(step, r, extra) {
  process.stdout.write(JSON.stringify(Object.assign({ step }, r, extra || {})) + "\n");
}

async function main() {
  let r = await call(good, "CreateAssetGroup", {
    Name: "sdk-group",
    Description: "made by @volcengine/openapi",
    GroupType: "AIGC",
  });
  print("CreateAssetGroup", r);
  const groupId = r.response.Result && r.response.Result.Id;

  r = await call(good, "ListAssetGroups", { Filter: { GroupIds: [groupId] }, PageNumber: 1, PageSize: 10 });
  print("ListAssetGroups", r);

  r = await call(good, "CreateAsset", { GroupId: groupId, URL: mediaURL, AssetType: "Image", Name: "sdk-asset" });
  print("CreateAsset", r);
  const assetId = r.response.Result && r.response.Result.Id;

  let polls = 0;
  const deadline = Date.now() + 20000;
  for (;;) {
    r = await call(good, "GetAsset", { Id: assetId });
    polls++;
    const status = r.response.Result && r.response.Result.Status;
    if (status !== "Processing" || Date.now() > deadline) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  print("GetAsset", r, { polls });

  r = await call(good, "ListAssets", { Filter: { GroupIds: [groupId], Statuses: ["Active"] }, PageSize: 10 });
  print("ListAssets", r);

  r = await call(good, "UpdateAsset", { Id: assetId, Name: "sdk-asset-renamed" });
  print("UpdateAsset", r);

  r = await call(good, "GetAsset", { Id: assetId });
  print("GetAssetAfterUpdate", r);

  r = await call(good, "DeleteAsset", { Id: assetId });
  print("DeleteAsset", r);

  r = await call(good, "DeleteAssetGroup", { Id: groupId });
  print("DeleteAssetGroup", r);

  r = await call(good, "GetAssetGroup", { Id: groupId });
  print("GetAssetGroupAfterDelete", r);

  r = await call(service("not-the-secret"), "ListAssetGroups", { Filter: {} });
  print("WrongSecret", r);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write("lifecycle.js: " + (e && e.stack ? e.stack : String(e)) + "\n");
    process.exit(1);
  }
);
