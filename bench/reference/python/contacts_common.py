"""What seed 001's Python twins share: the SQL of strata's contacts API
(src/cli/contacts.cpp) and the shape of its answers, so every stack sends
the same statements and answers the same JSON."""

PAGE_SIZE = 20
MAX_PAGE = 10**15
VERSION = {"name": "contacts", "version": "1.0"}

PAGE_ALL = (
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id ORDER BY c.id LIMIT $1 OFFSET $2"
)
PHONES_ALL = (
    "SELECT contact_id, kind, number FROM phones WHERE contact_id IN "
    "(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id"
)
EMAILS_ALL = (
    "SELECT contact_id, address FROM emails WHERE contact_id IN "
    "(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id"
)
PAGE_BY_NAME = (
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id WHERE c.last_name = $1 ORDER BY c.id LIMIT $2 OFFSET $3"
)
PHONES_BY_NAME = (
    "SELECT contact_id, kind, number FROM phones WHERE contact_id IN "
    "(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id"
)
EMAILS_BY_NAME = (
    "SELECT contact_id, address FROM emails WHERE contact_id IN "
    "(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id"
)
ONE = (
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id WHERE c.id = $1"
)
ONE_PHONES = "SELECT contact_id, kind, number FROM phones WHERE contact_id = $1 ORDER BY id"
ONE_EMAILS = "SELECT contact_id, address FROM emails WHERE contact_id = $1 ORDER BY id"
TYPES = "SELECT id, name FROM contact_types ORDER BY id"


def page_queries(page, page_size, last_name):
    """The three statements of a page and their arguments."""
    offset = (page - 1) * page_size
    if last_name is None:
        args = (page_size, offset)
        return [(PAGE_ALL, args), (PHONES_ALL, args), (EMAILS_ALL, args)]
    args = (last_name, page_size, offset)
    return [(PAGE_BY_NAME, args), (PHONES_BY_NAME, args), (EMAILS_BY_NAME, args)]


def assemble(contacts, phones, emails):
    """Rows (mappings) of the three queries -> the contacts as dicts."""
    by_id = {}
    out = []
    for c in contacts:
        d = {
            "id": c["id"],
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "type": c["type"],
            "created_at": c["created_at"],
            "phones": [],
            "emails": [],
        }
        by_id[c["id"]] = d
        out.append(d)
    for p in phones:
        by_id[p["contact_id"]]["phones"].append({"kind": p["kind"], "number": p["number"]})
    for e in emails:
        by_id[e["contact_id"]]["emails"].append(e["address"])
    return out


DEFAULT_ROUNDS = 100
MAX_ROUNDS = 100000


def digest(contacts, rounds):
    """FNV-1a 64 over the page's text, `rounds` times, as strata computes it."""
    parts = []
    for c in contacts:
        parts.append(f"{c['id']}|{c['first_name']}|{c['last_name']}|{c['type']}|{c['created_at']}|")
        parts.extend(f"{p['kind']}:{p['number']};" for p in c["phones"])
        parts.extend(f"{e};" for e in c["emails"])
        parts.append("\n")
    data = "".join(parts).encode()
    h = 0xCBF29CE484222325
    for _ in range(rounds):
        for b in data:
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"
