"""A headless Debian chromium driven over the DevTools protocol: console errors, requests, DOM checks, screenshot."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--remote-debugging-port=0", "--window-size=1200,900",
)


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot_png: bytes = b""
    evaluated: object = None


def visit(url: str, expression: str, timeout: float = 60.0, width: int = 1200, height: int = 900,
          mobile: bool = False, scale: float = 1) -> PageVisit:
    """Open url in a fresh headless chromium, collect errors and requests, evaluate `expression`, screenshot.

    The page is laid out `width` CSS pixels wide; `mobile` emulates a phone (the page's meta viewport applies) and
    `scale` is the device pixel ratio, so the screenshot is width * scale pixels wide."""
    from websockets.sync.client import connect

    profile = Path(tempfile.mkdtemp(prefix="causa-chromium-"))
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"chromium did not start (exit {process.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = _json(f"http://127.0.0.1:{port}/json/list")
        page = next(t for t in targets if t["type"] == "page")
        result = PageVisit()
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout) as socket:
            session = _Session(socket, result, deadline)
            for domain in ("Runtime", "Log", "Network", "Page"):
                session.call(f"{domain}.enable")
            session.call("Page.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale,
                         mobile=mobile)
            session.call("Page.navigate", url=url)
            session.wait_for("Page.loadEventFired")
            result.evaluated = session.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")
            shot = session.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            result.screenshot_png = base64.b64decode(shot["data"])
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _json(url: str):
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as response:
        return json.load(response)


class _Session:
    def __init__(self, socket, result: PageVisit, deadline: float) -> None:
        self.socket, self.result, self.deadline, self.next_id = socket, result, deadline, 0
        self.seen: list[str] = []

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method:
            self.seen.append(method)
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.result.console_errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            self.result.console_errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.result.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            self.result.requests.append(params["request"]["url"])

    def _receive(self) -> dict:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("chromium did not answer in time")
        message = json.loads(self.socket.recv(timeout=remaining))
        self._record(message)
        return message

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str) -> None:
        while event not in self.seen:
            self._receive()
