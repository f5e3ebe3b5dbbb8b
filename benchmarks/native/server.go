// The benchmark API on Go's standard library (net/http, encoding/json), no framework.
//
// It serves exactly the bodies the Python apps serve (benchmarks/apps/__init__.py):
// struct fields are declared in the same order and json.Marshal writes compact JSON, so
// the bytes are identical. Values are converted and bodies decoded into typed structs, as
// the raw ASGI app does. Usage: server -port N (listens on 127.0.0.1 only).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

type Pong struct {
	Message string `json:"message"`
}

type Item struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Limit int    `json:"limit"`
}

type Batch struct {
	Items []Item `json:"items"`
}

type BatchSummary struct {
	Count int `json:"count"`
	IDSum int `json:"id_sum"`
}

const listLength = 1000

var items = func() []Item {
	built := make([]Item, listLength)
	for i := range built {
		built[i] = Item{ID: i, Name: fmt.Sprintf("item-%d", i), Limit: i % 10}
	}
	return built
}()

func writeJSON(w http.ResponseWriter, status int, value any) {
	body, err := json.Marshal(value)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	header := w.Header()
	header.Set("Content-Type", "application/json")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// decodeJSON answers 415 / 400 itself and returns false when the body is not usable.
func decodeJSON(w http.ResponseWriter, r *http.Request, into any) bool {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		http.Error(w, "expected application/json", http.StatusUnsupportedMediaType)
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, into)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func ping(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, Pong{Message: "pong"})
}

func itemsRoute(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/items" {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var item Item
		if decodeJSON(w, r, &item) {
			writeJSON(w, http.StatusCreated, item)
		}
		return
	}
	slot := strings.TrimPrefix(r.URL.Path, "/items/")
	id, err := strconv.Atoi(slot)
	if err != nil || strings.Contains(slot, "/") || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	limit := 10
	if text := r.URL.Query().Get("limit"); text != "" {
		if limit, err = strconv.Atoi(text); err != nil {
			http.Error(w, "limit must be an integer", http.StatusBadRequest)
			return
		}
	}
	writeJSON(w, http.StatusOK, Item{ID: id, Name: "item", Limit: limit})
}

func list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, items)
}

func bulk(w http.ResponseWriter, r *http.Request) {
	var batch Batch
	if !decodeJSON(w, r, &batch) {
		return
	}
	summary := BatchSummary{Count: len(batch.Items)}
	for _, item := range batch.Items {
		summary.IDSum += item.ID
	}
	writeJSON(w, http.StatusCreated, summary)
}

func main() {
	port := flag.Int("port", 8000, "TCP port on 127.0.0.1")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/ping", ping)
	mux.HandleFunc("/items", itemsRoute)
	mux.HandleFunc("/items/", itemsRoute)
	mux.HandleFunc("/list", list)
	mux.HandleFunc("/bulk", bulk)
	log.Fatal(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), mux))
}
