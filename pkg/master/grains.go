package master

import (
	"github.com/halite/halite/pkg/codec"
)

// cachedGrains is one minion's grains as the master keeps them: encoded
// (CBOR, about a third of the size of the decoded maps), decoded only
// when a job targets by grain or a pillar is compiled. With thousands of
// minions the decoded maps were the largest part of the master's memory.
type cachedGrains struct {
	raw []byte
	os  string // for `halite-master minions`
}

func encodeGrains(g map[string]any) (cachedGrains, error) {
	raw, err := codec.Marshal(g)
	if err != nil {
		return cachedGrains{}, err
	}
	os, _ := g["os"].(string)
	return cachedGrains{raw: raw, os: os}, nil
}

// decode returns the grains (an empty map when there are none or they do
// not decode, which cannot happen for what encodeGrains made).
func (c cachedGrains) decode() map[string]any {
	g := map[string]any{}
	if len(c.raw) > 0 {
		_ = codec.Unmarshal(c.raw, &g)
	}
	return g
}

// grainsOf returns minion id's cached grains, decoded.
func (m *Master) grainsOf(id string) map[string]any {
	m.mu.RLock()
	c := m.grains[id]
	m.mu.RUnlock()
	return c.decode()
}
