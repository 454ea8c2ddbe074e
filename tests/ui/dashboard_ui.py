#!/usr/bin/python3
"""Drives the stepd dashboard (docs/dashboard.md) in headless Chromium over WebDriver.

Loads every page of a running devnet stepd that has a task in flight, checks what each shows
against the node's own JSON-RPC answers, that no page logged a JavaScript error, that the page
updates after a new block without reloading, and that markup in the URL or in a search does not
run. Writes a screenshot of each page to --shots. Only the Python standard library is used.

Exit status: 0 passed, 1 failed, 77 skipped (chromium or chromedriver not installed; see
scripts/setup.sh --tests).
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
WAIT_S = 15  # longest wait for one page state; a loaded CI machine renders in well under a second
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
XSS_ROUTE = "#/account/<img src=x onerror=window.__xss=1>"
XSS_SEARCH = "<script>window.__xss=2</script>"


class Failure(Exception):
    pass


def http_json(method, url, body=None, headers=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"null")


class Node:
    def __init__(self, url, cookie_file):
        self.url = url
        with open(cookie_file) as f:
            self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()

    def call(self, method, params=None, auth=False):
        headers = {"Authorization": self.auth} if auth else {}
        answer = http_json("POST", self.url + "/",
                           {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}, headers)
        if "error" in answer:
            raise Failure(f"{method}: {answer['error']}")
        return answer["result"]


class Browser:
    """A chromedriver process and one session (W3C WebDriver over HTTP)."""

    def __init__(self, chromium, chromedriver, profile):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([chromedriver, f"--port={port}", "--allowed-ips=127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if http_json("GET", self.base + "/status", timeout=2)["value"]["ready"]:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--no-first-run", f"--user-data-dir={profile}"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        answer = http_json("POST", self.base + "/session", caps)
        if "sessionId" not in answer.get("value", {}):
            raise Failure(f"no WebDriver session: {answer}")
        self.session = f"{self.base}/session/{answer['value']['sessionId']}"

    def cmd(self, method, path, body=None):
        answer = http_json(method, self.session + path, body)
        value = answer.get("value") if isinstance(answer, dict) else None
        if isinstance(value, dict) and "error" in value:
            raise Failure(f"webdriver {path}: {value['error']}: {value.get('message', '')[:300]}")
        return value

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script, what, *args):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            value = self.js(script, *args)
            if value:
                return value
            time.sleep(0.05)
        raise Failure(f"timed out waiting for {what}; page shows: {self.text()[:600]!r}")

    def text(self):
        return self.js("return document.getElementById('main').textContent") or ""

    def logs(self):
        return self.cmd("POST", "/se/log", {"type": "browser"}) or []

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))

    def close(self):
        try:
            http_json("DELETE", self.session, timeout=10)
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def check(cond, what):
    if not cond:
        raise Failure(what)


# Waits until the page at `route` has rendered once more than before (document.body.dataset.rendered).
def open_page(b, url, route):
    before = b.js("return Number(document.body && document.body.dataset.rendered || 0)") or 0
    b.go(url + "/" + route)
    b.wait("return Number(document.body.dataset.rendered || 0) > arguments[0]", f"{route} to render",
           before if b.js("return location.pathname") == "/" else -1)


# A fresh load of the task page: the time to its first render and the bytes it downloaded
# (docs/benchmarks.md "Dashboard"). Reported, never asserted.
kWarmLoads = 5  # fresh loads of the task page in a running browser; the median is the figure


def first_load(b, url, route):
    b.go("about:blank")
    b.go(url + "/" + route)
    b.wait("return document.body && document.body.dataset.firstRenderMs", "the first render")
    # The loss chart comes after the first render (uPlot loads on demand): wait for it too.
    b.wait("const c = document.getElementById('loss-chart');"
           "return !c || c.dataset.points === '0' || document.body.dataset.firstChartMs", "the chart")
    return b.js("const r = performance.getEntriesByType('resource').concat("
                "performance.getEntriesByType('navigation'));"
                "return {first_render_ms: Number(document.body.dataset.firstRenderMs),"
                "first_chart_ms: Number(document.body.dataset.firstChartMs) || null,"
                "bytes: r.reduce((n, e) => n + (e.encodedBodySize || 0), 0),"
                "requests: r.length}")


def task_page(b, node, url, task_id):
    summary = first_load(b, url, f"#/task/{task_id}")
    b.wait("return document.getElementById('task-id') !== null", "the task page")
    check(b.js("return document.getElementById('task-id').textContent") == task_id, "task id shown")
    task = node.call("gettask", {"task_id": task_id})
    progress = node.call("gettaskprogress", {"task_id": task_id})
    statuses = [node.call("getunit", {"task_id": task_id, "round": r, "unit": u})["status"]
                for r in range(task["rounds"]) for u in range(task["units_per_round"])]
    shown = b.js("return [...document.querySelectorAll('#unit-grid .status')].map(e => e.textContent)")
    check(shown == statuses, f"unit statuses: page {shown}, node {statuses}")
    points = sum(1 for c in progress["committed_units"] if c.get("reported_loss") is not None)
    check(points > 0, "the task has reported losses to plot")
    shown_points = b.js("return Number(document.getElementById('loss-chart').dataset.points)")
    check(shown_points == points, f"loss points: page {shown_points}, node {points}")
    b.wait("return document.querySelector('#loss-chart canvas') !== null", "the uPlot chart")
    check("self-reported" in b.text(), "the loss is labelled self-reported")
    ledger = node.call("gettaskledger", {"task_id": task_id})["entries"]
    check(ledger, "the task has settlements")
    for e in ledger:
        check(e["reason"] in b.text(), f"ledger reason {e['reason']!r} shown")
    summary.update({"units": len(statuses), "loss_points": points, "settlements": len(ledger)})
    return summary


def account_page(b, node, url, address):
    open_page(b, url, f"#/account/{address}")
    b.wait("return document.getElementById('balance') !== null", "the account page")
    check(address in b.text(), "address shown")
    for e in node.call("getledger", {"address": address})["entries"]:
        check(e["reason"] in b.text(), f"payout reason {e['reason']!r} shown")


def search(b, query, want_hash_prefix):
    b.js("document.getElementById('search-input').value = arguments[0];"
         "document.getElementById('search').requestSubmit();", query)
    b.wait("return location.hash.startsWith(arguments[0]) && document.getElementById('main')"
           ".querySelector('h1') !== null && !document.getElementById('main').textContent"
           ".startsWith('Loading')", f"search {query!r} to land on {want_hash_prefix}", want_hash_prefix)


def explorer(b, node, url, task_id, address):
    open_page(b, url, "#/blocks")
    rows = b.wait("return document.querySelectorAll('#blocks tbody tr').length", "block rows")
    check(rows >= 1, "blocks listed")
    task = node.call("gettask", {"task_id": task_id})
    block = node.call("getblock", {"height": task["submit_height"]})
    txid = block["txs"][0]["txid"]
    open_page(b, url, f"#/block/{block['height']}")
    check(block["hash"] in b.text() and txid[:10] in b.text(), "block page shows hash and txs")
    open_page(b, url, f"#/tx/{txid}")
    check(txid in b.text(), "tx page shows txid")
    search(b, block["hash"], "#/block/")
    search(b, str(block["height"]), f"#/block/{block['height']}")
    search(b, txid, "#/tx/")
    search(b, task_id, "#/task/")
    search(b, address, "#/account/")


def live_update(b, node, url, miner):
    open_page(b, url, "#/")
    height = int(b.wait("return document.getElementById('tip-height')?.textContent", "overview height"))
    b.wait("return document.getElementById('live').classList.contains('on')", "the event stream")
    b.js("window.__stayed = true;")
    node.call("generate", {"count": 1, "address": miner}, auth=True)
    b.wait("return Number(document.getElementById('tip-height')?.textContent) === arguments[0]",
           "the overview to show the new block", height + 1)
    check(b.js("return window.__stayed === true"), "updated without a reload")


def markup_stays_text(b, url):
    b.go(url + "/" + XSS_ROUTE)
    b.wait("return document.getElementById('main').textContent.includes('<img')", "the route as text")
    search(b, XSS_SEARCH, "#/search/")
    b.wait("return document.getElementById('main').textContent.includes('<script>')", "the query as text")
    check(b.js("return window.__xss === undefined"), "markup from the URL or a search ran")
    check(b.js("return document.querySelectorAll('main img, main script').length") == 0,
          "markup from data became elements")


def run(args, b, node):
    summary = {}
    url = args.url.rstrip("/")
    live_update(b, node, url, args.miner)
    b.screenshot(os.path.join(args.shots, "overview.png"))
    summary.update(task_page(b, node, url, args.task))
    b.screenshot(os.path.join(args.shots, "task.png"))
    account_page(b, node, url, args.account)
    b.screenshot(os.path.join(args.shots, "account.png"))
    explorer(b, node, url, args.task, args.account)
    open_page(b, url, "#/blocks")
    b.screenshot(os.path.join(args.shots, "blocks.png"))
    for page, title in (("peers", "Peers"), ("blobs", "Blobs"), ("tasks", "Tasks")):
        open_page(b, url, f"#/{page}")
        check(b.js("return document.querySelector('main h1').textContent") == title, f"{page} page")
        check(b.js("return document.querySelector('main .error')") is None, f"{page} page has no error")
        b.screenshot(os.path.join(args.shots, f"{page}.png"))
        if page == "peers" and args.peer_agent:
            b.wait("return document.getElementById('main').textContent.includes(arguments[0])",
                   "the peer's user agent as text", args.peer_agent)
            check(b.js("return document.querySelectorAll('main img').length") == 0,
                  "a peer's user agent became elements")
    markup_stays_text(b, url)
    b.screenshot(os.path.join(args.shots, "markup.png"))
    errors = [e for e in b.logs() if e.get("level") == "SEVERE"]
    check(not errors, f"JavaScript errors: {errors}")
    return summary


def main():
    if sys.argv[1:] == ["--browser-present"]:  # exit status only: 0 present, 77 missing
        missing = not any(os.path.exists(c) for c in CHROMIUM) or not shutil.which("chromedriver")
        return SKIP if missing else 0
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--cookie", required=True)
    p.add_argument("--task", required=True)
    p.add_argument("--account", required=True, help="an account with market ledger entries")
    p.add_argument("--miner", required=True, help="address for the block the test mines")
    p.add_argument("--shots", required=True, help="folder for the screenshots")
    p.add_argument("--peer-agent", help="a connected peer's user agent the peers page must show as text")
    p.add_argument("--measure", action="store_true",
                   help="only load the task page afresh and print its first render and bytes")
    args = p.parse_args()
    chromium = next((c for c in CHROMIUM if os.path.exists(c)), None)
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        print("SKIP: chromium or chromedriver not installed (scripts/setup.sh --tests)")
        return SKIP
    os.makedirs(args.shots, exist_ok=True)
    node = Node(args.url.rstrip("/"), args.cookie)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="step-ui-") as profile:
        b = Browser(chromium, chromedriver, profile)
        try:
            if args.measure:
                summary = first_load(b, args.url.rstrip("/"), f"#/task/{args.task}")
                # The same page loaded afresh in the running browser, as a person reopens it.
                again = [first_load(b, args.url.rstrip("/"), f"#/task/{args.task}")
                         for _ in range(kWarmLoads)]
                summary["cold_browser"] = {k: summary.pop(k) for k in ("first_render_ms", "first_chart_ms")}
                for key in ("first_render_ms", "first_chart_ms"):
                    ms = sorted(a[key] for a in again if a[key] is not None)
                    summary["warm_browser_" + key] = ms
                    summary[key] = ms[len(ms) // 2] if ms else None
                b.wait("return document.getElementById('task-id') !== null", "the task page")
                b.screenshot(os.path.join(args.shots, "task-measured.png"))
            else:
                summary = run(args, b, node)
        except Failure as e:
            print(f"FAIL: {e}")
            return 1
        finally:
            b.close()
    summary["seconds"] = round(time.monotonic() - started, 1)
    print("PASS " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
