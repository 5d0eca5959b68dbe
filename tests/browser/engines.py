"""One small driver interface over the three engines (issue 35, NF4), so a journey is written
once: Blink through Playwright (Debian's Chromium), WebKit through W3C WebDriver
(``WebKitWebDriver`` launching WebKitGTK's MiniBrowser under Xvfb) and Gecko through WebDriver
BiDi, which Firefox ESR speaks itself (``--remote-debugging-port``; Debian has no geckodriver).
The facts each launch relies on are in ``../shared/design/browsers.md``.

Clicks and typing are real input in every engine (Playwright's mouse, WebDriver's element
click and send keys, BiDi's ``input.performActions``), never ``el.click()`` in script."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError
from websockets.sync.client import ClientConnection, connect

MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
FIREFOX = "/usr/bin/firefox-esr"
LAUNCH_S = 60.0  # WebKit fails as a silent hang: every launch has a deadline
WAIT_S = 20.0


class Driver(Protocol):
    """What a journey may do with a page, in any engine."""

    engine: str

    def goto(self, url: str) -> None: ...
    def url(self) -> str: ...
    def evaluate(self, expression: str) -> Any: ...
    def click(self, selector: str) -> None: ...
    def fill(self, selector: str, text: str) -> None: ...
    def select(self, selector: str, value: str) -> None: ...
    def press(self, key: str) -> None: ...
    def drag(self, path: list[tuple[int, int]], pointer: str = "mouse") -> None: ...
    def screenshot(self, path: Path) -> None: ...


# WebDriver's codes for the keys a journey presses (Playwright takes the names themselves).
KEYS = {
    "Tab": "\ue004",
    "Enter": "\ue007",
    "Space": " ",
    "Escape": "\ue00c",
    "ArrowLeft": "\ue012",
    "ArrowUp": "\ue013",
    "ArrowRight": "\ue014",
    "ArrowDown": "\ue015",
}


def pointer_actions(path: list[tuple[int, int]], pointer: str) -> dict[str, Any]:
    """A ``pointer`` ("mouse" or "pen") put down at the first point of ``path`` (viewport
    pixels), moved through the others and lifted: one point is a tap, several a drag."""
    (x, y), rest = path[0], path[1:]
    moves = [{"type": "pointerMove", "x": px, "y": py, "duration": 20} for px, py in rest]
    return {
        "type": "pointer",
        "id": pointer,
        "parameters": {"pointerType": pointer},
        "actions": [
            {"type": "pointerMove", "x": x, "y": y},
            {"type": "pointerDown", "button": 0},
            *moves,
            {"type": "pointerUp", "button": 0},
        ],
    }


def key_actions(key: str) -> dict[str, Any]:
    """One key pressed and released, as a WebDriver (classic or BiDi) input source."""
    code = KEYS[key]
    return {
        "type": "key",
        "id": "keyboard",
        "actions": [{"type": "keyDown", "value": code}, {"type": "keyUp", "value": code}],
    }


def wait_until(driver: Driver, expression: str, what: str, timeout: float = WAIT_S) -> Any:
    """Evaluate ``expression`` (a JavaScript expression) until it is truthy: its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = driver.evaluate(expression)
        except AssertionError:  # asked while the next page was coming in
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"{driver.engine}: timed out waiting for {what}"
        time.sleep(0.1)


def wait_for_call(call: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """``call()`` until it stops failing (an element not there yet): its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}") from None
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Blink: Playwright ----------------------------------------------------------------------


class PlaywrightDriver:
    engine = "chromium"

    def __init__(self, browser: Browser, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def url(self) -> str:
        return self.page.url

    def evaluate(self, expression: str) -> Any:
        try:
            return self.page.evaluate(f"() => ({expression})")
        except PlaywrightError as error:
            if "context was destroyed" not in str(error):
                raise
            return None  # asked while the page navigated: ``wait_until`` asks again

    def click(self, selector: str) -> None:
        self.page.click(selector)

    def fill(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)

    def select(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def press(self, key: str) -> None:
        assert key in KEYS, key
        self.page.keyboard.press(key)

    def drag(self, path: list[tuple[int, int]], pointer: str = "mouse") -> None:
        """Through the DevTools protocol, which (unlike Playwright's mouse) can be a pen."""
        cdp = self.context.new_cdp_session(self.page)
        steps = [("mousePressed", path[0])] + [("mouseMoved", p) for p in path[1:]]
        for kind, (x, y) in [*steps, ("mouseReleased", path[-1])]:
            event = {"type": kind, "x": x, "y": y, "pointerType": pointer}
            if kind != "mouseMoved":
                event |= {"button": "left", "clickCount": 1}
            else:
                event |= {"button": "left", "buttons": 1}
            cdp.send("Input.dispatchMouseEvent", event)
        cdp.detach()

    def screenshot(self, path: Path) -> None:
        """The viewport, as the other engines' screenshots are."""
        self.page.screenshot(path=str(path))

    def close(self) -> None:
        self.context.close()


# --- WebKit: W3C WebDriver ------------------------------------------------------------------

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element key


class WebKitDriver:
    """WebKitGTK's MiniBrowser through ``WebKitWebDriver`` on a private X display."""

    engine = "webkit"

    def __init__(self, width: int, height: int) -> None:
        port = _free_port()
        env = {**os.environ, "WEBKIT_DISABLE_DMABUF_RENDERER": "1"}
        self.process = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1600x1200x24", WEBKIT_DRIVER, f"--port={port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=LAUNCH_S)
        deadline = time.monotonic() + LAUNCH_S
        while True:
            with contextlib.suppress(httpx.TransportError):
                if self.http.get("/status").status_code == 200:
                    break
            assert time.monotonic() < deadline, "WebKitWebDriver did not start"
            time.sleep(0.2)
        options = {"binary": MINIBROWSER, "args": ["--automation", "--full-screen"]}
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": options}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]
        self._call(
            "POST", f"/session/{self.session}/window/rect", {"width": width, "height": height}
        )

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body if body is not None else None)
        data = response.json()
        assert response.status_code == 200, (path, data)
        return data["value"]

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def goto(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def url(self) -> str:
        return str(self._call("GET", self._s("/url")))

    def evaluate(self, expression: str) -> Any:
        return self._call(
            "POST", self._s("/execute/sync"), {"script": f"return ({expression});", "args": []}
        )

    def _element(self, selector: str) -> str:
        using = {"using": "css selector", "value": selector}
        found = wait_for_call(lambda: self._call("POST", self._s("/element"), using), selector)
        return str(found[ELEMENT])

    def click(self, selector: str) -> None:
        element = self._element(selector)
        # In the middle of the window, as a person would have it, not under the sticky bar
        # where WebDriver's own scrolling (to the bottom edge) puts it.
        self._call(
            "POST",
            self._s("/execute/sync"),
            {
                "script": "arguments[0].scrollIntoView({block: 'center'});",
                "args": [{ELEMENT: element}],
            },
        )
        self._call("POST", self._s(f"/element/{element}/click"), {})

    def fill(self, selector: str, text: str) -> None:
        element = self._element(selector)
        self._call("POST", self._s(f"/element/{element}/clear"), {})
        self._call("POST", self._s(f"/element/{element}/value"), {"text": text})

    def select(self, selector: str, value: str) -> None:
        # WebDriver selects an option by clicking it.
        option = self._element(f"{selector} option[value={json.dumps(value)}]")
        self._call("POST", self._s(f"/element/{option}/click"), {})

    def press(self, key: str) -> None:
        self._call("POST", self._s("/actions"), {"actions": [key_actions(key)]})

    def drag(self, path: list[tuple[int, int]], pointer: str = "mouse") -> None:
        actions = [pointer_actions(path, pointer)]
        self._call("POST", self._s("/actions"), {"actions": actions})
        self._call("DELETE", self._s("/actions"))

    def screenshot(self, path: Path) -> None:
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.http.delete(self._s(""))
        self.http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)


# --- Gecko: WebDriver BiDi ------------------------------------------------------------------


class FirefoxDriver:
    """Firefox ESR, headless, spoken to over WebDriver BiDi on a websocket."""

    engine = "firefox"

    def __init__(self, width: int, height: int) -> None:
        port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="admit-firefox-")
        self.process = subprocess.Popen(
            [
                FIREFOX,
                "--headless",
                f"--remote-debugging-port={port}",
                "--profile",
                self.profile,
                "--no-remote",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.stack = contextlib.ExitStack()
        deadline = time.monotonic() + LAUNCH_S
        while True:
            try:
                # No Origin header: Firefox answers 400 to one.
                self.ws: ClientConnection = self.stack.enter_context(
                    connect(f"ws://127.0.0.1:{port}/session", origin=None, open_timeout=5)
                )
                break
            except (OSError, TimeoutError):
                assert time.monotonic() < deadline, "Firefox's BiDi port did not open"
                time.sleep(0.3)
        self.ids = itertools.count(1)
        self._send("session.new", {"capabilities": {}})
        tree = self._send("browsingContext.getTree", {})
        self.context = tree["contexts"][0]["context"]
        self._send(
            "browsingContext.setViewport",
            {"context": self.context, "viewport": {"width": width, "height": height}},
        )

    def _send(self, method: str, params: dict[str, Any]) -> Any:
        command_id = next(self.ids)
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=LAUNCH_S))
            if message.get("id") == command_id:
                assert message.get("type") != "error", (method, message)
                return message.get("result")

    def goto(self, url: str) -> None:
        self._send(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def evaluate(self, expression: str) -> Any:
        result = self._send(
            "script.evaluate",
            {
                "expression": f"Promise.resolve(({expression})).then(v => JSON.stringify(v))",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        assert result["type"] == "success", result
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def _centre(self, selector: str) -> tuple[int, int]:
        box = wait_until(
            self,
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center', inline: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()",
            selector,
        )
        return round(box[0]), round(box[1])

    def click(self, selector: str) -> None:
        x, y = self._centre(selector)
        actions = [
            {"type": "pointerMove", "x": x, "y": y},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]
        self._act({"type": "pointer", "id": "mouse", "actions": actions})

    def fill(self, selector: str, text: str) -> None:
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select() || true")
        keys = [{"type": kind, "value": ch} for ch in text for kind in ("keyDown", "keyUp")]
        self._act({"type": "key", "id": "keyboard", "actions": keys})

    def select(self, selector: str, value: str) -> None:
        # A native drop-down is outside the page for BiDi's input: choose as the list would.
        self.evaluate(
            f"(() => {{ const s = document.querySelector({json.dumps(selector)});"
            f" s.value = {json.dumps(value)};"
            " s.dispatchEvent(new Event('input', {bubbles: true}));"
            " s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
        )

    def press(self, key: str) -> None:
        self._act(key_actions(key))

    def drag(self, path: list[tuple[int, int]], pointer: str = "mouse") -> None:
        self._act(pointer_actions(path, pointer))
        self._send("input.releaseActions", {"context": self.context})

    def _act(self, source: dict[str, Any]) -> None:
        self._send("input.performActions", {"context": self.context, "actions": [source]})

    def screenshot(self, path: Path) -> None:
        data = self._send("browsingContext.captureScreenshot", {"context": self.context})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._send("session.end", {})
        with contextlib.suppress(Exception):
            self.stack.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


@contextlib.contextmanager
def opened(
    engine: str, width: int, height: int, chromium: Browser | None = None
) -> Iterator[Driver]:
    """A fresh page of ``engine`` at ``width`` × ``height``, closed afterwards."""
    driver: PlaywrightDriver | WebKitDriver | FirefoxDriver
    for path, package in ((WEBKIT_DRIVER, "webkit2gtk-driver"), (FIREFOX, "firefox-esr")):
        if engine in package:
            assert Path(path).exists(), f"{path} is missing: apt-get install {package} (.ci/run)"
    if engine == "webkit":
        assert shutil.which("xvfb-run"), "xvfb-run is missing: apt-get install xvfb xauth"
    if engine == "chromium":
        assert chromium is not None
        driver = PlaywrightDriver(chromium, width, height)
    elif engine == "webkit":
        driver = WebKitDriver(width, height)
    else:
        driver = FirefoxDriver(width, height)
    try:
        yield driver
    finally:
        driver.close()
