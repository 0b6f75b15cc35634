// Seed 001's Go twin: net/http + database/sql + lib/pq (Debian's
// golang-github-lib-pq-dev, built offline in GOPATH mode), answering the
// contacts API with the same SQL and the same JSON as strata's
// (src/cli/contacts.cpp): three queries per page or contact, one for the
// types. The seed used the bun ORM, which Debian does not package.
// Usage: strata-go-contacts [--host H] [--port N] --database-url URL
// Prints "listening on http://HOST:PORT tier=contacts-go"; SIGINT/SIGTERM exit 0.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq"
)

const (
	pageSize = 20
	maxPage  = 1000000000000000

	pageAll = "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c " +
		"JOIN contact_types t ON t.id = c.type_id ORDER BY c.id LIMIT $1 OFFSET $2"
	phonesAll = "SELECT contact_id, kind, number FROM phones WHERE contact_id IN " +
		"(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id"
	emailsAll = "SELECT contact_id, address FROM emails WHERE contact_id IN " +
		"(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id"
	pageByName = "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c " +
		"JOIN contact_types t ON t.id = c.type_id WHERE c.last_name = $1 ORDER BY c.id LIMIT $2 OFFSET $3"
	phonesByName = "SELECT contact_id, kind, number FROM phones WHERE contact_id IN " +
		"(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id"
	emailsByName = "SELECT contact_id, address FROM emails WHERE contact_id IN " +
		"(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id"
	one = "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c " +
		"JOIN contact_types t ON t.id = c.type_id WHERE c.id = $1"
	onePhones = "SELECT contact_id, kind, number FROM phones WHERE contact_id = $1 ORDER BY id"
	oneEmails = "SELECT contact_id, address FROM emails WHERE contact_id = $1 ORDER BY id"
	types     = "SELECT id, name FROM contact_types ORDER BY id"
)

type Phone struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
}

type Contact struct {
	ID        int64    `json:"id"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Type      string   `json:"type"`
	CreatedAt string   `json:"created_at"`
	Phones    []Phone  `json:"phones"`
	Emails    []string `json:"emails"`
}

type Page struct {
	Page     int64     `json:"page"`
	PageSize int64     `json:"page_size"`
	Results  []Contact `json:"results"`
}

type ContactType struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

var db *sql.DB
var stmts = map[string]*sql.Stmt{}

func reply(w http.ResponseWriter, status int, v interface{}) {
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func detail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"detail": msg})
}

// fetch runs the three statements of a page or a contact and assembles them.
func fetch(ctx context.Context, queries [3]string, args ...interface{}) ([]Contact, error) {
	rows, err := stmts[queries[0]].QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	contacts := []Contact{}
	index := map[int64]int{}
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.ID, &c.FirstName, &c.LastName, &c.Type, &c.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		c.Phones, c.Emails = []Phone{}, []string{}
		index[c.ID] = len(contacts)
		contacts = append(contacts, c)
	}
	rows.Close()
	if rows, err = stmts[queries[1]].QueryContext(ctx, args...); err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var p Phone
		if err := rows.Scan(&id, &p.Kind, &p.Number); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			contacts[i].Phones = append(contacts[i].Phones, p)
		}
	}
	rows.Close()
	if rows, err = stmts[queries[2]].QueryContext(ctx, args...); err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var address string
		if err := rows.Scan(&id, &address); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			contacts[i].Emails = append(contacts[i].Emails, address)
		}
	}
	rows.Close()
	return contacts, rows.Err()
}

// digest: FNV-1a 64 over the page's text, rounds times, as strata computes it.
func digest(contacts []Contact, rounds int64) string {
	var b strings.Builder
	for _, c := range contacts {
		fmt.Fprintf(&b, "%d|%s|%s|%s|%s|", c.ID, c.FirstName, c.LastName, c.Type, c.CreatedAt)
		for _, p := range c.Phones {
			b.WriteString(p.Kind + ":" + p.Number + ";")
		}
		for _, e := range c.Emails {
			b.WriteString(e + ";")
		}
		b.WriteByte('\n')
	}
	data := []byte(b.String())
	h := uint64(0xcbf29ce484222325)
	for r := int64(0); r < rounds; r++ {
		for _, ch := range data {
			h ^= uint64(ch)
			h *= 0x100000001b3
		}
	}
	return fmt.Sprintf("%016x", h)
}

type Digest struct {
	Page   int64  `json:"page"`
	Rounds int64  `json:"rounds"`
	Digest string `json:"digest"`
}

func intParam(q url.Values, name string, fallback, lo, hi int64) (int64, bool) {
	text, present := q[name]
	if !present {
		return fallback, true
	}
	v, err := strconv.ParseInt(text[0], 10, 64)
	return v, err == nil && v >= lo && v <= hi
}

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		detail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	ctx := r.Context()
	switch {
	case r.URL.Path == "/version":
		reply(w, 200, map[string]string{"name": "contacts", "version": "1.0"})
	case r.URL.Path == "/types":
		rows, err := stmts[types].QueryContext(ctx)
		if err != nil {
			detail(w, 500, "Internal Server Error")
			return
		}
		defer rows.Close()
		out := []ContactType{}
		for rows.Next() {
			var t ContactType
			rows.Scan(&t.ID, &t.Name)
			out = append(out, t)
		}
		reply(w, 200, out)
	case r.URL.Path == "/contacts/":
		q := r.URL.Query()
		page, ok1 := intParam(q, "page", 1, 1, maxPage)
		size, ok2 := intParam(q, "page_size", pageSize, 1, 100)
		if !ok1 || !ok2 {
			detail(w, 400, "page must be an integer from 1 to 10^15, page_size from 1 to 100")
			return
		}
		var contacts []Contact
		var err error
		if name, filtered := q["last_name"]; filtered {
			contacts, err = fetch(ctx, [3]string{pageByName, phonesByName, emailsByName}, name[0], size, (page-1)*size)
		} else {
			contacts, err = fetch(ctx, [3]string{pageAll, phonesAll, emailsAll}, size, (page-1)*size)
		}
		if err != nil {
			detail(w, 500, "Internal Server Error")
			return
		}
		reply(w, 200, Page{page, size, contacts})
	case r.URL.Path == "/digest/":
		q := r.URL.Query()
		page, ok1 := intParam(q, "page", 1, 1, maxPage)
		rounds, ok2 := intParam(q, "rounds", 100, 1, 100000)
		if !ok1 || !ok2 {
			detail(w, 400, "page must be an integer from 1 to 10^15, rounds from 1 to 100000")
			return
		}
		contacts, err := fetch(ctx, [3]string{pageAll, phonesAll, emailsAll}, int64(pageSize), (page-1)*pageSize)
		if err != nil {
			detail(w, 500, "Internal Server Error")
			return
		}
		reply(w, 200, Digest{page, rounds, digest(contacts, rounds)})
	case strings.HasPrefix(r.URL.Path, "/contacts/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/contacts/"), 10, 64)
		if err != nil {
			detail(w, 404, "Not Found")
			return
		}
		contacts, err := fetch(ctx, [3]string{one, onePhones, oneEmails}, id)
		if err != nil {
			detail(w, 500, "Internal Server Error")
			return
		}
		if len(contacts) == 0 {
			detail(w, 404, "Contact not found")
			return
		}
		reply(w, 200, contacts[0])
	default:
		detail(w, 404, "Not Found")
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8000, "port; 0 picks a free one")
	dsn := flag.String("database-url", "", "postgresql://... (lib/pq reads libpq's URI)")
	flag.Parse()
	var err error
	if db, err = sql.Open("postgres", *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "strata-go-contacts:", err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	for _, q := range []string{pageAll, phonesAll, emailsAll, pageByName, phonesByName, emailsByName, one, onePhones,
		oneEmails, types} {
		if stmts[q], err = db.Prepare(q); err != nil {
			fmt.Fprintln(os.Stderr, "strata-go-contacts: cannot prepare:", err)
			os.Exit(1)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "strata-go-contacts:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s:%d tier=contacts-go\n", *host, ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "strata-go-contacts:", err)
		os.Exit(1)
	}
}
