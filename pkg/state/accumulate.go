package state

import "sync"

// Accumulators is the text that file.accumulated states gathered during
// one state run, for the file.blockreplace and file.managed states of the
// same run that edit the file it names (Salt's accumulators). Texts are
// kept per file and accumulator name, in the order they arrived, each
// once. A nil *Accumulators holds nothing and ignores additions; it is
// safe for concurrent use (parallel states).
type Accumulators struct {
	mu    sync.Mutex
	files map[string]*accumulated
}

type accumulated struct {
	names []string // in first-seen order
	texts map[string][]string
}

// NewAccumulators returns an empty set, one per run.
func NewAccumulators() *Accumulators { return &Accumulators{files: map[string]*accumulated{}} }

// Add appends each of texts not already held to accumulator name of file.
func (a *Accumulators) Add(file, name string, texts []string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.files[file]
	if f == nil {
		f = &accumulated{texts: map[string][]string{}}
		a.files[file] = f
	}
	if _, ok := f.texts[name]; !ok {
		f.names = append(f.names, name)
	}
	cur := f.texts[name]
outer:
	for _, t := range texts {
		for _, have := range cur {
			if have == t {
				continue outer
			}
		}
		cur = append(cur, t)
	}
	f.texts[name] = cur
}

// For returns the accumulators of file: their names in the order they
// were first charged, and a copy of the texts by name.
func (a *Accumulators) For(file string) (names []string, texts map[string][]string) {
	if a == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.files[file]
	if f == nil {
		return nil, nil
	}
	texts = make(map[string][]string, len(f.texts))
	for k, v := range f.texts {
		texts[k] = append([]string(nil), v...)
	}
	return append([]string(nil), f.names...), texts
}
