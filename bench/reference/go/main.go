// Peer row of `strata bench`: Go's net/http answering the same endpoints:
// POST /user (seed 003), GET /index?name= and GET / (seed 002), and seed
// 004's two Go routes: /go/sync/?delay= (the handler sleeps: net/http
// gives each connection its own goroutine, so 100 connections sleep at
// once) and /go/async_sleep_in_thread/?delay= (the handler starts a
// goroutine that sleeps and answers without waiting for it: the seed's
// 78,261 req/s for this route says its handler did not wait).
// Usage: strata-go-peer [--host H] [--port N]   (N = 0 picks a free port)
// Prints "listening on http://HOST:PORT tier=go"; SIGINT/SIGTERM exit 0.
// The harness runs it with GOMAXPROCS set to the number of server cores.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

type User struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

const textType = "text/plain; charset=utf-8"

func reply(w http.ResponseWriter, status int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func handle(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/user":
		body, err := io.ReadAll(r.Body)
		var in User
		if err == nil {
			err = json.Unmarshal(body, &in)
		}
		if err != nil {
			reply(w, http.StatusBadRequest, textType, []byte(err.Error()))
			return
		}
		out, _ := json.Marshal(User{ID: in.ID, Name: in.Name, Email: in.Email})
		reply(w, http.StatusOK, "application/json", out)
	case r.URL.Path == "/go/sync/" || r.URL.Path == "/go/async_sleep_in_thread/":
		delay, err := strconv.ParseFloat(r.URL.Query().Get("delay"), 64)
		if err != nil || delay < 0 || delay > 60 {
			reply(w, http.StatusUnprocessableEntity, textType, []byte("delay must be a number of seconds from 0 to 60"))
			return
		}
		d := time.Duration(delay * float64(time.Second))
		if r.URL.Path == "/go/sync/" {
			time.Sleep(d)
			reply(w, http.StatusOK, "application/json", []byte(`{"message":"sync sleep in handler"}`))
			return
		}
		go time.Sleep(d)
		reply(w, http.StatusOK, "application/json", []byte(`{"message":"sleep started in a goroutine"}`))
	case r.URL.Path == "/index":
		if name := r.URL.Query().Get("name"); name != "" {
			reply(w, http.StatusOK, textType, []byte("Hello "+name))
			return
		}
		reply(w, http.StatusOK, textType, []byte("Hello ASGI World!"))
	default:
		reply(w, http.StatusOK, textType, []byte("Hello ASGI World!"))
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8000, "port to listen on; 0 picks a free one")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "strata-go-peer: cannot listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s:%d tier=go\n", *host, ln.Addr().(*net.TCPAddr).Port)

	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "strata-go-peer: %v\n", err)
		os.Exit(1)
	}
}
