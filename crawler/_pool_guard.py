"""Imported only inside the fork server of the extraction pool and the recorder.

It ends when the crawl process does: a crawl killed with SIGKILL cannot shut its pool down,
and without this the fork server and its workers would live on as orphans, each holding a
preloaded extractor (~120 MB). And it loads the search index's word dictionary once, here:
every worker and the recorder is forked from this process and inherits it ready, instead of
each spending about a second of CPU loading it on its first page.
"""

from archive.text.search import tokens
from crawler.lifetime import die_with_parent, name_process

die_with_parent()
name_process("pw-forkserver")
tokens("预热")
