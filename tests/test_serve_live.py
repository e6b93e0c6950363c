"""`zoo serve` as a user runs it: the command serving on 127.0.0.1, a client that goes away mid-stream, and the
page in a real headless Chromium (skipped where no browser is installed)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi, uvicorn) is not installed")

from serve_models import NAMES, train_models  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
GENERATION_LIMIT = 100_000  # so a generation nobody stops would run for many seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post(url: str, body: dict):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`zoo serve` with the five tiny models, in its own process on a free port; its base URL."""
    home = tmp_path_factory.mktemp("zoo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_HOME", str(home))
        train_models(home)
    port = free_port()
    log = open(home / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "zoo_core.cli", "serve", *NAMES, "--port", str(port),
                                "--max-tokens", str(GENERATION_LIMIT), "--threads", "1"],
                               env={**os.environ, "ZOO_HOME": str(home)}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            get(f"{base}/health")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"zoo serve did not start: {(home / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_the_command_serves_the_models_on_127_0_0_1(server):
    assert [info["name"] for info in get(f"{server}/v1/models")] == list(NAMES)
    record = post(f"{server}/v1/models/clf/predict", {"inputs": ["a fine film"]})["results"][0]
    assert record["input"] == "a fine film" and record["prediction"] in record["probabilities"]


def test_a_client_that_disconnects_mid_stream_stops_its_generation(server):
    import httpx

    with httpx.Client(timeout=30) as http:
        with http.stream("POST", f"{server}/v1/models/lm/generate",
                         json={"prompt": "the ", "max_tokens": GENERATION_LIMIT, "seed": 0}) as response:
            assert response.status_code == 200
            tokens = 0
            for line in response.iter_lines():
                tokens += line.startswith("event: token")
                if tokens == 3:
                    break  # leaving the block closes the connection
    deadline = time.monotonic() + 15
    while (stats := get(f"{server}/health")["models"]["lm"])["generating"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stats["generating"] == 0, "the generation went on after its client left"
    assert stats["tokens_generated"] < GENERATION_LIMIT
    later = get(f"{server}/health")["models"]["lm"]["tokens_generated"]
    time.sleep(0.3)
    assert get(f"{server}/health")["models"]["lm"]["tokens_generated"] == later


def browser():
    """Headless Chromium through Selenium, or a skip saying what is missing."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install 'zoo-core[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")) or not Path(CHROMEDRIVER).exists():
        pytest.skip(f"no browser: {CHROMIUM} and {CHROMEDRIVER} are needed (Debian: apt-get install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1320,1180"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def type_and_run(driver, model: str, text: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC  # noqa: N812
    from selenium.webdriver.support.ui import WebDriverWait

    card = WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, f"model-{model}")))
    box = card.find_element(By.TAG_NAME, "textarea")
    box.clear()
    box.send_keys(text)
    card.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(driver, 30).until(lambda _: card.find_element(By.CLASS_NAME, "output").get_attribute("data-done"))
    output = card.find_element(By.CLASS_NAME, "output")
    assert output.get_attribute("data-done") == "true", output.text
    return output


def test_the_page_in_a_real_browser(server, tmp_path):
    from selenium.webdriver.common.by import By

    driver = browser()
    try:
        driver.get(f"{server}/")
        assert driver.title.startswith("RNN Zoo")

        review = "a gripping , beautifully shot film"
        expected = post(f"{server}/v1/models/clf/predict", {"inputs": [review]})["results"][0]
        rows = type_and_run(driver, "clf", review).find_elements(By.CLASS_NAME, "bar-row")
        shown = {row.get_attribute("data-label"): float(row.find_element(By.CLASS_NAME, "value").text) for row in rows}
        assert shown == {label: round(p, 3) for label, p in expected["probabilities"].items()}
        best = [row.get_attribute("data-label") for row in rows if "best" in row.get_attribute("class")]
        assert best == [expected["prediction"]]

        explained = post(f"{server}/v1/models/attn/predict", {"inputs": [review], "explain": True})["results"][0]
        shaded = type_and_run(driver, "attn", review).find_elements(By.CSS_SELECTOR, ".weights .token")
        assert [token.text for token in shaded] == explained["tokens"]

        sentence = "the cat sees a dog ."
        tagged = post(f"{server}/v1/models/tagger/predict", {"inputs": [sentence]})["results"][0]
        output = type_and_run(driver, "tagger", sentence)
        tokens = output.find_elements(By.CLASS_NAME, "tok")
        assert [t.get_attribute("data-tag") for t in tokens] == tagged["prediction"]
        assert [t.text.split("\n")[0] for t in tokens] == tagged["tokens"]
        entities = output.find_elements(By.CLASS_NAME, "entity")
        assert [e.get_attribute("data-type") for e in entities] == [span["type"] for span in tagged["spans"]]

        generated = type_and_run(driver, "lm", "the ").find_element(By.CLASS_NAME, "generated")
        assert generated.text.startswith("the ") and len(generated.text) > len("the ") + 20

        translated = type_and_run(driver, "mt", "forty two")
        assert translated.find_element(By.CLASS_NAME, "translation").text
        assert len(translated.find_elements(By.CSS_SELECTOR, "table.attention td")) > 0

        driver.save_screenshot(str(tmp_path / "serve-page.png"))
        if os.environ.get("ZOO_SERVE_SCREENSHOT"):  # the picture in docs/serve.md: ZOO_SERVE_SCREENSHOT=docs/serve-page.png
            driver.save_screenshot(os.environ["ZOO_SERVE_SCREENSHOT"])
        assert (tmp_path / "serve-page.png").stat().st_size > 10_000
    finally:
        driver.quit()
