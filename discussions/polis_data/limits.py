"""The caps on what is read from Pol.is open data.

Everything a file holds is read into memory before anything is written, and then a whole
conversation is written in one transaction: the caps below (``LIMITS``) bound the memory and
the length of that transaction, and each is refused with a message that names it. They are
far above real conversations (openData's run to about a thousand voters and a few hundred
comments: austria-climate.5twd2jsnkf has 1,116 voters and 522 comments) and no larger than
the synthesis is benchmarked on (bench_synthesis: up to 32,000 participants and 4,000
positions). Reading a million votes took 7 s and 230 MB at its peak, two million 13 s and
450 MB: the vote cap keeps an import under half a gigabyte. A comment longer than the csv
module's field limit (131,072 characters) is refused as it is read.
"""

from discussions.polis_data.layout import COMMENTS, PARTICIPANTS_VOTES, SUMMARY, VOTES

_MB = 1024 * 1024

#: Bytes per file. A votes.csv row is 50 bytes in openData (``1403054214196,Wed Jun 18
#: 08:16:54 WIB 2014,0,5,-1``), about 90 with the datetimes of later Pol.is servers
#: (``Wed Jun 18 2014 08:16:54 GMT+0000 (Coordinated Universal Time)``): the cap holds
#: MAX_VOTE_ROWS rows of either. participants-votes.csv is a participants x
#: comments grid of mostly empty cells, only checked against votes.csv.
MAX_BYTES = {COMMENTS: 20 * _MB, VOTES: 192 * _MB, PARTICIPANTS_VOTES: 128 * _MB, SUMMARY: _MB}
#: Comments and participants (authors and voters): the columns and rows of the session's
#: synthesis, a dense participants x positions matrix. No larger than bench_synthesis's
#: largest (32,000 x 4,000): a bigger import would make a session whose synthesis nobody
#: has measured.
MAX_COMMENTS = 4_000
MAX_PARTICIPANTS = 32_000
#: Rows of votes.csv, earlier votes included: every row is held while the latest are picked.
#: The million-vote session of docs/exports.md (setup_demo --groups 100 --activity 2000:
#: 1,042,723 votes) goes out and back in, with room to spare.
MAX_VOTE_ROWS = 2_000_000

LIMITS = {
    "bytes per file": MAX_BYTES,
    "comments": MAX_COMMENTS,
    "votes.csv rows": MAX_VOTE_ROWS,
    "participants": MAX_PARTICIPANTS,
}
