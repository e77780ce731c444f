#!/usr/bin/env bash
# Renders gobench reports in headless Chromium and checks that the charts are drawn: the
# dumped DOM holds the expected number of SVG charts, each with data points and a line
# or bars, no <script> element survives from hostile names, and the screenshot is not blank.
#
# usage: scripts/report-check.sh                      build gobench, render the fixtures, check
#        scripts/report-check.sh --html F --expect-charts N [--out DIR]
#                                                     check an existing report (used by the XCTest)
# env:   SCRATCH (default .build-report): the swift build folder.
#        GOBENCH: a gobench binary to use instead of building one.
#        OUT: where the dumped DOM and screenshots go (default: a new temporary folder).
set -euo pipefail

CALLER_DIR=$(pwd)
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FIXTURES="$ROOT/Tests/GobenchKitTests/Fixtures"
SCRATCH=${SCRATCH:-.build-report}
OUT=${OUT:-}
HTML=""
EXPECT=""

die() { echo "report-check: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --html) HTML=${2:?--html needs a file}; shift 2; [[ $HTML = /* ]] || HTML="$CALLER_DIR/$HTML" ;;
        --expect-charts) EXPECT=${2:?--expect-charts needs a number}; shift 2 ;;
        --out) OUT=${2:?--out needs a folder}; shift 2; [[ $OUT = /* ]] || OUT="$CALLER_DIR/$OUT" ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
if [ -n "$HTML" ] && [ -z "$EXPECT" ]; then die "--html needs --expect-charts"; fi
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/report-check.XXXXXX)
[[ $OUT = /* ]] || OUT="$CALLER_DIR/$OUT"
mkdir -p "$OUT"

find_chromium() {
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

CHROMIUM=$(find_chromium || true)
if [ -z "$CHROMIUM" ]; then
    [ "$(id -u)" = 0 ] || die "chromium is missing and installing it needs root (apt-get install -y chromium)"
    echo "report-check: installing chromium (Debian package)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1 || die "apt-get install chromium failed"
    fi
    CHROMIUM=$(find_chromium) || die "chromium still not found after installing"
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed for the DOM and PNG checks"

# render NAME HTML: dumps the DOM to OUT/NAME.dom.html and a screenshot to OUT/NAME.png.
render() {
    local name=$1 html=$2
    local flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --mute-audio
                 --no-first-run --disable-extensions --user-data-dir="$OUT/profile-$name")
    timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$html" > "$OUT/$name.dom.html" 2>"$OUT/$name.chromium.log" \
        || die "chromium --dump-dom failed for $html (see $OUT/$name.chromium.log)"
    timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1360,2200 --screenshot="$OUT/$name.png" "file://$html" \
        >>"$OUT/$name.chromium.log" 2>&1 || die "chromium --screenshot failed for $html (see $OUT/$name.chromium.log)"
    [ -s "$OUT/$name.png" ] || die "no screenshot written for $html"
}

# check NAME EXPECTED_CHARTS: the DOM and PNG checks, in Python's standard library only.
check() {
    python3 - "$OUT/$1.dom.html" "$OUT/$1.png" "$2" "$1" <<'PY'
import sys, struct, zlib
from html.parser import HTMLParser
dom_path, png_path, expected, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

class Charts(HTMLParser):
    def __init__(self):
        super().__init__(); self.charts = []; self.depth = 0; self.scripts = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); cls = (a.get("class") or "").split()
        if tag == "script": self.scripts += 1
        if tag == "svg":
            if self.depth == 0 and "chart" in cls:
                self.charts.append({"kind": " ".join(cls), "points": 0, "lines": 0, "paths": 0})
                self.depth = 1
            elif self.depth: self.depth += 1
            return
        if not self.depth: return
        chart = self.charts[-1]
        if tag in ("path", "polyline"): chart["paths"] += 1
        if "data-point" in cls: chart["points"] += 1
        if "series-line" in cls or "bar" in cls: chart["lines"] += 1
    def handle_startendtag(self, tag, attrs): self.handle_starttag(tag, attrs)
    def handle_endtag(self, tag):
        if tag == "svg" and self.depth: self.depth -= 1

p = Charts(); p.feed(open(dom_path, encoding="utf-8").read())
errors = []
if len(p.charts) != expected:
    errors.append(f"{len(p.charts)} charts in the DOM, expected {expected}")
for i, c in enumerate(p.charts):
    if c["points"] < 1 or c["lines"] < 1 or c["paths"] < 1:
        errors.append(f"chart {i + 1} ({c['kind']}) has {c['points']} data points, {c['lines']} lines or bars, {c['paths']} paths")
if p.scripts:
    errors.append(f"{p.scripts} <script> elements in the DOM (text is not escaped)")

def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n": raise ValueError("not a PNG file")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            if depth != 8 or color not in (2, 6): raise ValueError(f"unsupported PNG (depth {depth}, color type {color})")
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT": idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return width, height, bpp, rows

width, height, bpp, rows = png_pixels(png_path)
counts = {}
for row in rows[::2]:
    for x in range(0, len(row), bpp * 2):
        px = row[x:x + 3]; counts[px] = counts.get(px, 0) + 1
total = sum(counts.values()); background = max(counts.values())
if total - background < total * 0.01 or len(counts) < 16:
    errors.append(f"screenshot looks blank: {len(counts)} colours, {100 * (total - background) / total:.2f} % not background")
def near(rgb, tolerance=40):
    return sum(n for px, n in counts.items() if sum(abs(px[i] - rgb[i]) for i in range(3)) <= tolerance)
engine_pixels = {"swift (#D55E00)": near((0xD5, 0x5E, 0x00)), "go (#0072B2)": near((0x00, 0x72, 0xB2))}
for engine, n in engine_pixels.items():
    if n < 20: errors.append(f"screenshot has no {engine} line pixels ({n})")
print(f"{name}: {len(p.charts)} charts, {sum(c['points'] for c in p.charts)} data points, screenshot {width}x{height}, "
      f"{len(counts)} colours, {100 * (total - background) / total:.1f} % drawn, " +
      ", ".join(f"{k} {v} px" for k, v in engine_pixels.items()))
if errors:
    for e in errors: print(f"report-check: {name}: {e}", file=sys.stderr)
    sys.exit(1)
PY
}

if [ -n "$HTML" ]; then
    [ -f "$HTML" ] || die "$HTML: no such file"
    HTML=$(cd "$(dirname "$HTML")" && pwd)/$(basename "$HTML")
    render given "$HTML"
    check given "$EXPECT"
    echo "report-check: ok ($OUT)"
    exit 0
fi

if [ -n "${GOBENCH:-}" ]; then
    [[ $GOBENCH = /* ]] || GOBENCH="$CALLER_DIR/$GOBENCH"
    [ -x "$GOBENCH" ] || die "GOBENCH=$GOBENCH is not an executable"
else
    swift build --scratch-path "$SCRATCH" --product gobench >"$OUT/build.log" 2>&1 || die "swift build failed (see $OUT/build.log)"
    GOBENCH="$ROOT/$SCRATCH/debug/gobench"
fi

# The fixture sweep with a base: 9 charts (chan-pingpong: throughput, ratio, scavenger
# memory and latency; parallel-compute: throughput, ratio, placement bars; steal-imbalance:
# throughput and ratio).
"$GOBENCH" report "$FIXTURES/report-sweep.csv" --base "$FIXTURES/report-base.csv" --title "fixture sweep" -o "$OUT/sweep.html" >/dev/null
render sweep "$OUT/sweep.html"
check sweep 9

# Hostile names and params: 2 charts, and nothing in them may become markup.
"$GOBENCH" report "$FIXTURES/report-hostile.csv" -o "$OUT/hostile.html" >/dev/null
render hostile "$OUT/hostile.html"
check hostile 2

# Bad input: one error line, exit status 1, and the existing report left as it was.
cp "$OUT/sweep.html" "$OUT/keep.html"
for bad in report-empty.csv report-malformed.csv; do
    if "$GOBENCH" report "$FIXTURES/$bad" -o "$OUT/keep.html" 2>"$OUT/bad.err"; then die "$bad: exit status 0"; fi
    [ "$(wc -l < "$OUT/bad.err")" = 1 ] || die "$bad: expected one error line, got: $(cat "$OUT/bad.err")"
    cmp -s "$OUT/sweep.html" "$OUT/keep.html" || die "$bad: the existing report was changed"
done
if ls -a "$OUT" | grep -q '\.tmp-'; then die "a temporary file was left in $OUT"; fi

echo "report-check: ok ($OUT)"
