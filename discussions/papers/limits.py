"""What the importer accepts: the file types, and the limits that keep a hostile file from
taking a worker's time and memory (see also discussions.paper_sandbox).
"""

MAX_BYTES = 10 * 1024 * 1024
SUPPORTED_EXTENSIONS = (".txt", ".md", ".pdf", ".docx")
# A 300-page PDF of plain text reads in about 1.5 s; a discussion paper is far shorter, and
# a hostile PDF spends the time and memory per page.
MAX_PDF_PAGES = 300
# A .docx is a zip, and a 100 KB one unpacked to a 1 GB worker. Its parts' declared sizes
# bound what the zip reader unpacks, so they are checked before anything is read. A real
# paper's XML is a few MB compressed 3 to 40 times; images hardly compress at all.
MAX_DOCX_PART_BYTES = 50 * 1024 * 1024
MAX_DOCX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_DOCX_RATIO = 100
DOCX_RATIO_FROM_BYTES = 1024 * 1024  # small parts (styles) may compress better, harmlessly
# Each section and question is a row the import writes in the web worker, and a form in the
# preview. At these limits the import and publish take under a second; a 10 MB text file of
# "Why? " made two million questions, and their import took a minute.
MAX_SECTIONS = 2000
MAX_QUESTIONS = 5000

_MB = 1024 * 1024
