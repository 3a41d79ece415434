"""The built site in a real browser: headless Chromium (Debian's package) driven by Playwright opens every
page of `medstudy site build` and fails on what a reader would meet: a near-empty page, raw TeX, a link or
anchor that leads nowhere, an image that does not load, a figure a notebook cell should have drawn but did
not, a folder of the build machine, a script or stylesheet from the network. It saves screenshots of the
home, results and losses pages at 1280 and 420 px wide (into $SITE_SCREENSHOTS, default a temporary folder)."""
import os, re, json, shutil, tempfile, threading, functools, http.server
from pathlib import Path
from urllib.parse import urlsplit, unquote
import pytest
from medstudy.site import build_site

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
ROOT = Path(__file__).parent.parent
# In CI the browser must be there (.ci/run installs it); on a developer's machine without it, skip.
pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get('CI'), reason='Chromium is not installed (apt-get install chromium)')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
SHOTS = ('index', 'results', 'losses')
# The prose of a page: its article, without code, navigation, scripts and styles (MathML is prose).
PROSE_JS = '''() => { const a = (document.querySelector('article') || document.body).cloneNode(true);
  a.querySelectorAll('pre, code, nav, script, style, .headerlink').forEach(e => e.remove()); return a.textContent; }'''

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')/'site'
    pages = build_site(out)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(out))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, pages, f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown()

def machine_paths() -> re.Pattern:
    "The build machine's own folders: home, temp, the checkout and the folder that holds it."
    here = {str(Path.home()), tempfile.gettempdir(), str(ROOT.resolve()), str(ROOT.resolve().parent)} - {'/', ''}
    return re.compile('|'.join(re.escape(h.rstrip('/') + '/') for h in sorted(here)))

def test_every_page_in_browser(site, tmp_path):
    from playwright.sync_api import sync_playwright
    out, pages, url = site
    shots = Path(os.environ.get('SITE_SCREENSHOTS', tmp_path/'screenshots')); shots.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in pages)
    assert {'index.html', 'core.html', 'data.html', 'results.html', 'losses.html'} <= set(names), names
    report = json.loads((out/'site-report.json').read_text())
    problems = [f'{n}: {r["notebook"]} has no figure from its cell starting {m!r}' for n, r in report.items() for m in r['missing_figures']]
    rx = machine_paths()
    problems += [f'{p.name}: a path of the build machine ({rx.search(p.read_text()).group()})' for p in pages if rx.search(p.read_text())]
    assert (out/'search'/'search_index.json').exists(), 'no search index'
    ids, links, remote = {}, [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        page.on('request', lambda r: remote.append((page.url, r.url)) if not r.url.startswith((url, 'data:', 'blob:', 'about:')) else None)
        for name in names:
            resp = page.goto(url + name, wait_until='load')
            assert resp.status == 200, f'{name}: HTTP {resp.status}'
            nav = set(page.eval_on_selector_all('nav.md-nav--primary a.md-nav__link[href]', 'els => els.map(e => e.getAttribute("href"))'))
            missing_nav = {n for n in names if n not in {h.split('#')[0] or name for h in nav}}
            if missing_nav: problems.append(f'{name}: navigation lacks {sorted(missing_nav)}')
            prose = page.evaluate(PROSE_JS)
            words = len(re.findall(r'[A-Za-z]{2,}', prose))
            if words < 100: problems.append(f'{name}: {words} words of prose (< 100)')
            if m := re.search(r'\$\$|\\\(|\\\[|\\begin\{', prose): problems.append(f'{name}: raw maths {m.group()!r} in the text')
            ids[name] = set(page.eval_on_selector_all('[id], a[name]', 'els => els.map(e => e.id || e.getAttribute("name"))'))
            links += [(name, h) for h in page.eval_on_selector_all('a[href]', 'els => els.map(e => e.getAttribute("href"))')]
            imgs = page.eval_on_selector_all('article img', 'els => els.map(e => [e.complete && e.naturalWidth > 0, (e.getAttribute("src") || "").slice(0, 60)])')
            problems += [f'{name}: image did not load ({src})' for ok, src in imgs if not ok]
            res = page.eval_on_selector_all('script[src], link[rel="stylesheet"][href]', 'els => els.map(e => e.getAttribute("src") || e.getAttribute("href"))')
            problems += [f'{name}: loads {r} from the network' for r in res if re.match(r'^(https?:)?//', r)]
        for stem in SHOTS:
            for w in (1280, 420):
                page.set_viewport_size({'width': w, 'height': 900})
                page.goto(url + f'{stem}.html', wait_until='load')
                page.screenshot(path=str(shots/f'{stem}-{w}.png'), full_page=True)
        browser.close()
    problems += [f'{p}: requested {r} from the network' for p, r in dict.fromkeys(remote)]
    n_links = 0
    for name, href in links:
        if re.match(r'^(https?:|mailto:|javascript:|data:)', href): continue
        n_links += 1
        path, _, frag = href.partition('#')
        target = (Path(name).parent/unquote(path)).as_posix() if path else name
        target = re.sub(r'^(\./)+', '', target)
        if target.endswith('/') or target in ('.', ''): target = (target.rstrip('/') + '/index.html').lstrip('./')
        if not (out/target).exists(): problems.append(f'{name}: broken link {href}'); continue
        if frag and target.endswith('.html') and target in ids and unquote(frag) not in ids[target]:
            problems.append(f'{name}: link {href} lands on no anchor')
    assert n_links > 500, f'only {n_links} internal links'
    assert not problems, f'{len(problems)} problems:\n' + '\n'.join(problems[:60])
    assert len(list(shots.glob('*.png'))) >= 2 * len(SHOTS)

def test_results_pages_show_tables(site):
    out, pages, _ = site
    assert (out/'results.html').read_text().count('<table') >= 5
    home = (out/'index.html').read_text()
    assert 'Headline results' in home and '<table' in home, 'the home page has no headline results table'
    assert (out/'data.html').read_text().count('<img') >= 2
