#!/usr/bin/env python3
"""Drives the form-dns dashboard in a real headless chromium (selenium, chromium-driver).

  dashboard-check.py --url URL --nodes pool/a,pool/b --kill-pid PID --kill-node pool/a --screenshot FILE
                     [--flows]

Loads URL (the token in its #token= fragment), waits until every node in --nodes is shown healthy
in the table and on the map, sends SIGTERM to --kill-pid (the entry node behind --kill-node) and
waits until the page shows that node unhealthy and the event list has its transition, without
reloading. With --flows, also waits for a row in the answers-by-region table. Writes a screenshot,
then fails if the browser logged any console error. Prints one line per step; exit 0 when all held.
"""
import argparse
import os
import signal
import sys
import tempfile

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach the network

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--nodes", required=True)
parser.add_argument("--kill-pid", type=int, required=True)
parser.add_argument("--kill-node", required=True)
parser.add_argument("--screenshot", required=True)
parser.add_argument("--flows", action="store_true")
parser.add_argument("--timeout", type=float, default=30)
options = parser.parse_args()

chrome = Options()
chrome.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1700", "--no-first-run", "--disable-extensions",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='form-dns-chromium-')}"]:
    chrome.add_argument(argument)
chrome.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=chrome)
failures = []


def state_of(kind, node):
    # One round trip: the page re-renders every second, so an element found in one call may be
    # gone (stale) by the next.
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute('data-state') : null;",
        f'{kind}[data-node="{node}"]')


def texts(selector):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);", selector)


def wait(what, condition):
    try:
        WebDriverWait(driver, options.timeout, poll_frequency=0.2).until(lambda _: condition())
        print(f"ok: {what}", flush=True)
        return True
    except Exception as error:
        failures.append(what)
        print(f"FAILED: {what} ({type(error).__name__})", flush=True)
        return False


try:
    driver.get(options.url)
    nodes = options.nodes.split(",")
    wait("the stream is live", lambda: driver.execute_script(
        "return document.getElementById('connection').getAttribute('data-state')") == "live")
    for node in nodes:
        wait(f"{node} healthy in the table", lambda: state_of("tr", node) == "healthy")
        wait(f"{node} healthy on the map", lambda: state_of("circle", node) == "healthy")
    wait("the map has land", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#map path.land")) > 10)
    if options.flows:
        wait("answers by client region are shown",
             lambda: len(driver.find_elements(By.CSS_SELECTOR, "#flows tbody tr")) > 0)
        wait("the queries chart has a series",
             lambda: len(driver.find_elements(By.CSS_SELECTOR, "#qps polyline")) == 1)
    url_before = driver.current_url
    os.kill(options.kill_pid, signal.SIGTERM)
    print(f"killed {options.kill_node} (pid {options.kill_pid})", flush=True)
    wait(f"{options.kill_node} unhealthy in the table", lambda: state_of("tr", options.kill_node) == "unhealthy")
    wait(f"{options.kill_node} unhealthy on the map", lambda: state_of("circle", options.kill_node) == "unhealthy")
    pool, node = options.kill_node.split("/", 1)
    wait("the event list shows the transition", lambda: any(
        f"{options.kill_node} healthy -> unhealthy" in text for text in texts('#events li[data-kind="health"]')))
    for other in nodes:
        if other != options.kill_node and state_of("tr", other) != "healthy":
            failures.append(f"{other} is {state_of('tr', other)}, not healthy")
    if driver.current_url.split("#")[0] != url_before.split("#")[0]:
        failures.append("the page navigated away")
    if "token=" in driver.current_url:
        failures.append("the token is still in the address bar")
    driver.save_screenshot(options.screenshot)
    print(f"screenshot: {options.screenshot}", flush=True)
    errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    for entry in errors:
        failures.append(f"console error: {entry.get('message')}")
    print(f"console errors: {len(errors)}", flush=True)
finally:
    driver.quit()

for failure in failures:
    print(f"dashboard-check: {failure}", file=sys.stderr)
sys.exit(1 if failures else 0)
