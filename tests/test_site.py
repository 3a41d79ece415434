"""The rendered site in a real browser: headless Chromium (Debian's package) driven by Playwright opens
every page, follows no broken internal link, sees every figure load and every results table present,
and saves a screenshot of each page (into $SITE_SCREENSHOTS, default a temporary folder)."""
import os, shutil, threading, functools, http.server, re
from pathlib import Path
import pytest
from medstudy.site import build_site

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
ROOT = Path(__file__).parent.parent
# In CI the browser must be there (.ci/run installs it); on a developer's machine without it, skip.
pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get('CI'), reason='Chromium is not installed (apt-get install chromium)')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')/'site'
    pages = build_site(out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, pages, f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown()

def test_every_page_in_browser(site, tmp_path):
    from playwright.sync_api import sync_playwright
    out, pages, url = site
    shots = Path(os.environ.get('SITE_SCREENSHOTS', tmp_path/'screenshots')); shots.mkdir(parents=True, exist_ok=True)
    expected = {p.name for p in pages}
    assert {'index.html', 'core.html', 'data.html'} <= expected
    problems, seen_tables = [], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 900})
        for name in sorted(expected):
            resp = page.goto(url + name, wait_until='load')
            assert resp.status == 200, f'{name}: HTTP {resp.status}'
            nav = page.eval_on_selector_all('nav.ms-nav a', 'els => els.map(e => e.getAttribute("href"))')
            assert set(nav) == expected, f'{name}: navigation lists {sorted(nav)}'
            for href in page.eval_on_selector_all('a[href]', 'els => els.map(e => e.getAttribute("href"))'):
                if re.match(r'^(https?:|mailto:|#)', href): continue
                target = href.split('#')[0]
                if target and not (out/target).exists(): problems.append(f'{name}: broken link {href}')
            imgs = page.eval_on_selector_all('img', 'els => els.map(e => [e.complete && e.naturalWidth > 0, (e.getAttribute("src") || "").slice(0, 40)])')
            problems += [f'{name}: image did not load ({src})' for ok, src in imgs if not ok]
            seen_tables[name] = page.locator('table').count()
            page.screenshot(path=str(shots/f'{Path(name).stem}.png'), full_page=True)
        browser.close()
    assert not problems, '\n'.join(problems)
    # the data chapter shows real images; results pages (if any) show their tables
    assert (out/'data.html').read_text().count('<img') >= 2
    for name, n in seen_tables.items():
        if name.startswith(('results', 'ledger', 'repro')): assert n > 0, f'{name}: no results table'
    assert len(list(shots.glob('*.png'))) == len(expected)
