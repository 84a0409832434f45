"""Imported only inside the extraction pool's fork server: it ends when the crawl process does.

A crawl killed with SIGKILL cannot shut its pool down; without this, the fork server and its
workers would live on as orphans, each holding a preloaded extractor (~120 MB).
"""

from crawler.extract_pool import die_with_parent

die_with_parent()
