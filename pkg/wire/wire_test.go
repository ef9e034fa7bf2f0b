package wire

import (
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	b, err := Encode(TypeReturn, Return{JID: "20261124000000000001", Fun: "test.echo", Return: map[string]any{"a": []any{int64(1), "x", true}}, Retcode: 3})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil || m.Type != TypeReturn {
		t.Fatalf("%v %+v", err, m)
	}
	var r Return
	if err := m.DecodeBody(&r); err != nil {
		t.Fatal(err)
	}
	if r.Retcode != 3 || !reflect.DeepEqual(r.Return, map[string]any{"a": []any{int64(1), "x", true}}) {
		t.Fatalf("%+v", r)
	}
}

func TestDecodeRefusesUnknownFieldsAndTrailingBytes(t *testing.T) {
	b, _ := Encode(TypeAck, Ack{JID: "1"})
	if _, err := Decode(append(b, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	m, _ := Decode(b)
	var hb Heartbeat
	if err := m.DecodeBody(&hb); err == nil {
		t.Error("an Ack decoded as a Heartbeat: unknown fields must be refused")
	}
}

// FuzzDecode feeds arbitrary bytes to the message decoder and every body
// type the master accepts from minions: nothing may panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct {
		typ  string
		body any
	}{
		{TypeHeartbeat, Heartbeat{Time: 1, Version: "x"}},
		{TypeGrains, Grains{Grains: map[string]any{"os": "Debian", "n": []any{1, 2}}}},
		{TypeAck, Ack{JID: "20261124000000000001"}},
		{TypeReturn, Return{JID: "1", Return: map[string]any{"k": []any{map[string]any{"x": nil}}}}},
		{TypeFileGet, FileGetRequest{ReqID: 1, Saltenv: "base", Path: "../../etc/passwd"}},
	} {
		b, err := Encode(seed.typ, seed.body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa2, 0x01, 0x61})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		for _, v := range []any{&Heartbeat{}, &Grains{}, &Ack{}, &Return{}, &FileListRequest{}, &FileGetRequest{}, &PillarRequest{}, &MineUpdate{}, &MineGetRequest{}, &MineData{}, &Reply{}, &Job{}} {
			_ = m.DecodeBody(v)
		}
	})
}
