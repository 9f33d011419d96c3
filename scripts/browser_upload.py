#!/usr/bin/env python3
"""Drive the page of `seq2seq serve` in a real browser as a person does: headless Chromium
(Debian's `chromium` + `chromium-driver`) through Selenium (PyPI `selenium`), choose a speech
model, pick a WAV file in the page's file input, press Transcribe and wait for the text; then
press "Explore attention" and wait for the heatmaps. Prints one JSON object:

    {"text": "...", "heatmaps": {"encoder-self": [rows, cols], "decoder-self": [...], "cross": [...]},
     "status": "...", "screenshot": "PATH"}

Used by Tests/Seq2SeqCLITests/AttentionServeTests.swift (testPageUploadTranscribesInChromium).

    python3 scripts/browser_upload.py --url http://127.0.0.1:8080 --model speech --file clip.wav [--screenshot out.png]
"""
import argparse
import json
import shutil
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--screenshot")
    p.add_argument("--timeout", type=float, default=120)
    args = p.parse_args()

    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="s2s-selenium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 f"--user-data-dir={profile}", "--window-size=1500,1100"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(args.url + "/")
        wait = WebDriverWait(driver, args.timeout)
        # The model list is filled from /v1/models after the page loads.
        wait.until(lambda d: any(o.get_attribute("value") == args.model
                                 for o in d.find_elements(By.CSS_SELECTOR, "#model option")))
        Select(driver.find_element(By.ID, "model")).select_by_value(args.model)
        wait.until(lambda d: d.find_element(By.ID, "audio").is_displayed())
        # A person picks the file; Selenium types its path into the <input type=file>.
        driver.find_element(By.ID, "audio").send_keys(args.file)
        driver.find_element(By.ID, "run").click()
        wait.until(lambda d: d.find_element(By.ID, "output").text.strip()
                   or "error" in (d.find_element(By.ID, "status").get_attribute("class") or ""))
        text = driver.find_element(By.ID, "output").text
        status = driver.find_element(By.ID, "status").text
        driver.find_element(By.ID, "explore").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "canvas[data-attention]")) >= 3
                   or "error" in (d.find_element(By.ID, "status").get_attribute("class") or ""))
        heatmaps = {}
        for canvas in driver.find_elements(By.CSS_SELECTOR, "canvas[data-attention]"):
            heatmaps[canvas.get_attribute("data-attention")] = [int(canvas.get_attribute("data-rows") or -1),
                                                                int(canvas.get_attribute("data-cols") or -1)]
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
        print(json.dumps({"text": text, "heatmaps": heatmaps, "status": status or driver.find_element(By.ID, "status").text,
                          "screenshot": args.screenshot}))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
