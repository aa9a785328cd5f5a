"""What generate's initialisation imports: the documents modules it loads at initialisation
(fonts, render) must not pull the rendering libraries, which the first render imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

#: Imported by the first render, never by initialisation (most of the cold start otherwise).
RENDERING_LIBRARIES = ("fpdf", "fontTools", "facturx", "lxml", "pypdf", "PIL", "segno", "babel")

PROBE = f"""
import json, sys
from invoicing.documents import fonts, render
prepared = fonts.prepared_fonts()
assert fonts.undrawable("Αθηνά 咨询") == "咨询"
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({RENDERING_LIBRARIES!r}))
print(json.dumps({{"loaded": loaded, "faces": sorted(prepared)}}))
"""


def test_preparing_the_fonts_imports_no_rendering_library():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["faces"] == ["liberationsans", "liberationsansB"]
    assert result["loaded"] == [], f"initialisation imports {result['loaded']}"


def test_the_first_render_brings_them_in():
    probe = (
        "import sys\n"
        "from bench.invoice import bench_invoice\n"
        "from invoicing.documents.render import render\n"
        "rendered = render(bench_invoice(1))\n"
        "assert rendered.pdf.startswith(b'%PDF-') and b'factur-x.xml' in rendered.pdf\n"
        "print('fpdf' in sys.modules and 'facturx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "True"
