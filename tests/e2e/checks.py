"""Checks shared by the browser tests: axe-core, the Nu HTML Checker (vnu), layout, contrast, QR decoding."""

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.conftest import need

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe-4.10.2.min.js"
VNU_VERSION = "26.9.27"
VNU_JAR = HERE / ".cache" / f"vnu-jar-{VNU_VERSION}" / "vnu.jar"
BLOCKING = ("serious", "critical")


def axe_violations(page, context=None) -> list[str]:
    """Run axe-core (WCAG 2.x A/AA + best practice) in the page; serious and critical violations, readable."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        tag = page.add_script_tag(path=str(AXE))  # the context must bypass the CSP (bypass_csp=True)
        tag.evaluate("(script) => script.remove()")  # keep the DOM as the app made it (axe stays loaded)
    result = page.evaluate(
        "(ctx) => axe.run(ctx || document, {resultTypes: ['violations']})", context)
    found = []
    for v in result["violations"]:
        if v["impact"] in BLOCKING:
            targets = "; ".join(" ".join(n["target"]) + " :: " + n["failureSummary"].replace("\n", " ")
                                for n in v["nodes"][:5])
            found.append(f"[{v['impact']}] {v['id']}: {v['help']} -> {targets}")
    return found


def ensure_vnu() -> Path:
    """The vnu.jar from the npm registry (`npm pack vnu-jar@VERSION`), cached under tests/e2e/.cache/."""
    if VNU_JAR.exists():
        return VNU_JAR
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is needed once to fetch vnu-jar from the npm registry")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", "--silent", f"vnu-jar@{VNU_VERSION}"], cwd=tmp, check=True,
                       capture_output=True, timeout=300)
        with tarfile.open(Path(tmp) / f"vnu-jar-{VNU_VERSION}.tgz") as archive:
            member = archive.getmember("package/build/dist/vnu.jar")
            source = archive.extractfile(member)
            VNU_JAR.parent.mkdir(parents=True, exist_ok=True)
            partial = VNU_JAR.with_suffix(".part")
            with open(partial, "wb") as out:
                shutil.copyfileobj(source, out)
            os.replace(partial, VNU_JAR)
    return VNU_JAR


def vnu_errors(paths: list[Path]) -> list[str]:
    """Validate HTML files with the Nu HTML Checker in one JVM run; errors as 'file:line: message'."""
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("java is needed for the Nu HTML Checker")
    done = subprocess.run([java, "-Xss1024k", "-jar", str(ensure_vnu()), "--format", "json", "--exit-zero-always",
                           *map(str, paths)], capture_output=True, text=True, timeout=180)
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m.get('message')} "
            f"[{(m.get('extract') or '').strip()[:80]}]"
            for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 means no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def zoom_text(page, percent: int = 200) -> None:
    """Scale text like the browser's text-size setting (root font size), not page zoom."""
    page.evaluate("(p) => document.documentElement.style.setProperty('font-size', p + '%', 'important')", percent)


CONTRAST_JS = """
(selector) => {
  function rgb(s) { const m = s.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
  function lum(c) { return [c.r, c.g, c.b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0); }
  function background(el) {
    for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  const out = [];
  document.querySelectorAll(selector).forEach(el => {
    if (!el.textContent.trim() || !el.getClientRects().length) return;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) return;
    const style = getComputedStyle(el), fg = rgb(style.color), bg = background(el);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    out.push({text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100, size: size,
              needed: large ? 3 : 4.5});
  });
  return out;
}
"""


def contrast_report(page, selector: str = "body *") -> list[dict]:
    """Every visible element with its own text: contrast ratio against its background, and the AA minimum."""
    return page.evaluate(CONTRAST_JS, selector)


def decode_qr(page, selector: str) -> str:
    """Decode the QR code an <img> shows (drawn to a canvas in the page, decoded by zbar)."""
    try:
        from pyzbar import pyzbar
    except ImportError as exc:  # pyzbar is in requirements-dev.txt; the zbar library comes from apt (libzbar0)
        need(False, f"QR decoding needs pyzbar and libzbar0: {exc}")

    locator = page.locator(selector)
    locator.wait_for()
    pixels = locator.evaluate("""async (img) => {
      await img.decode();
      const scale = 4, size = Math.max(img.naturalWidth, 100) * scale, pad = 40;
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size + 2 * pad;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, pad, pad, size, size);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const grey = new Array(canvas.width * canvas.height);
      for (let i = 0; i < grey.length; i++) grey[i] = data[4 * i] > 127 ? 255 : 0;
      return {width: canvas.width, height: canvas.height, grey: grey};
    }""")
    found = pyzbar.decode((bytes(pixels["grey"]), pixels["width"], pixels["height"]))
    assert found, f"no QR code could be read from {selector}"
    return found[0].data.decode()
