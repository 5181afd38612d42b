"""Check the links of a built site: ``python docs/_tools/check_links.py site``.

Every relative ``href`` and ``src`` of every HTML page must name a file of
the site, and a ``#fragment`` must name an ``id`` in the target page.  Links
to other hosts are listed (``--external``), not fetched: the build machines
have no network.  Exit status 1 when a link is broken.  MkDocs' own
``validation`` (mkdocs.yml) checks the Markdown links; this checks what the
theme, mkdocstrings and the hooks generated too.
"""

import argparse
import html.parser
import os
import sys
import urllib.parse


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.links.append(attrs[name])


def _parse(path, cache):
    if path not in cache:
        parser = _Links()
        with open(path, encoding="utf-8") as handle:
            parser.feed(handle.read())
        cache[path] = parser
    return cache[path]


def _target_file(site, page, url_path):
    # "/x/" is relative to the site root (MkDocs' 404 page links that way)
    base = site if url_path.startswith("/") else os.path.dirname(page)
    target = os.path.normpath(os.path.join(base, urllib.parse.unquote(url_path).lstrip("/")))
    if not target.startswith(os.path.abspath(site)):
        return None
    if os.path.isdir(target):
        target = os.path.join(target, "index.html")
    return target if os.path.isfile(target) else None


def check_site(site):
    """``(broken, external)``: lists of ``(page, link, why)`` and of URLs."""
    site = os.path.abspath(site)
    cache = {}
    broken, external = [], set()
    for root, _, names in os.walk(site):
        for name in sorted(names):
            if not name.endswith(".html"):
                continue
            page = os.path.join(root, name)
            for link in _parse(page, cache).links:
                parts = urllib.parse.urlsplit(link)
                if parts.scheme in ("http", "https"):
                    external.add(link)
                    continue
                if parts.scheme or link.startswith("//"):
                    continue  # mailto:, data:, javascript:
                target = page if not parts.path else _target_file(site, page, parts.path)
                if target is None:
                    broken.append((page, link, None))
                    continue
                if parts.fragment and target.endswith(".html"):
                    if urllib.parse.unquote(parts.fragment) not in _parse(target, cache).ids:
                        broken.append((page, link, f"no id {parts.fragment!r} in "
                                                   f"{os.path.relpath(target, site)}"))
    return broken, sorted(external)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", help="the built site (mkdocs build writes site/)")
    parser.add_argument("--external", action="store_true", help="list links to other hosts")
    args = parser.parse_args(argv)
    broken, external = check_site(args.site)
    for page, link, why in broken:
        where = os.path.relpath(page, args.site)
        print(f"{where}: broken link {link}" + (f" ({why})" if why else ""))
    if args.external:
        print("\n".join(external))
    pages = sum(1 for _, _, names in os.walk(args.site) for n in names if n.endswith(".html"))
    print(f"check_links: {pages} pages, {len(broken)} broken links, "
          f"{len(external)} external links (not fetched)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
