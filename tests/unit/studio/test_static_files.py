"""Every module the studio's scripts import ships in the package and is served by name."""

import re

from impasto.studio.static_files import STATIC, static_file

IMPORT = re.compile(r"""(?:from\s+|import\()\s*["']\./([a-z0-9_-]+\.js)["']""")


def test_every_imported_module_is_served() -> None:
    scripts = sorted(STATIC.glob("*.js"))
    assert scripts
    for script in scripts:
        for name in IMPORT.findall(script.read_text()):
            served = static_file(name)
            assert served is not None, f"{script.name} imports missing {name}"
            assert served.media_type.startswith("text/javascript")


def test_no_script_writes_html_from_data() -> None:
    # User text enters pages as text nodes only (docs/architecture/studio.md).
    for script in STATIC.glob("*.js"):
        text = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{script.name} uses {sink}"
