"""Copy plotly.min.js from the installed plotly package into static/vendor/ (plus a .gz)."""
import gzip
import shutil
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parent.parent
src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
dest = ROOT / "static" / "vendor" / "plotly.min.js"
dest.parent.mkdir(parents=True, exist_ok=True)
shutil.copyfile(src, dest)
with open(dest, "rb") as fin, gzip.open(str(dest) + ".gz", "wb", compresslevel=9) as fout:
    shutil.copyfileobj(fin, fout)
print(f"vendored {dest.relative_to(ROOT)} ({dest.stat().st_size // 1024} KiB)")
