package cron

import (
	"strings"
)

// The markers Salt writes into crontabs. Halite keeps them so a crontab
// that Salt managed is understood, and one that Halite manages can go back
// to Salt.
const (
	tag          = "# Lines below here are managed by Salt, do not edit"
	idMarker     = "SALT_CRON_IDENTIFIER"
	noIdentifier = "NO ID SET"
	disabled     = "#DISABLED#"
)

// Crontab is a user's crontab as Salt structures it: the user's own lines
// before the tag, then managed environment lines and entries.
type Crontab struct {
	Pre     []string
	Env     []EnvVar
	Entries []Entry
}

// EnvVar is a NAME=value line in the managed part.
type EnvVar struct{ Name, Value string }

// Entry is one managed job.
type Entry struct {
	// Special is @reboot, @daily, ...; when set the time fields are unused.
	Special                                string
	Minute, Hour, DayMonth, Month, DayWeek string
	Cmd                                    string
	Identifier                             string
	Comment                                string
	Commented                              bool
}

// ParseCrontab parses the output of crontab -l. Lines it does not
// understand in the managed part are dropped, as Salt drops them.
func ParseCrontab(s string) Crontab {
	var c Crontab
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	managed := false
	var comment []string
	identifier := ""
	flush := func() { comment, identifier = nil, "" }
	for _, line := range lines {
		if line == tag {
			managed = true
			continue
		}
		if !managed {
			c.Pre = append(c.Pre, line)
			continue
		}
		commented := false
		if strings.HasPrefix(line, disabled) {
			line = line[len(disabled):]
			commented = true
		}
		switch {
		case strings.HasPrefix(line, "@"):
			f := strings.Fields(line)
			if len(f) < 2 {
				flush()
				continue
			}
			c.Entries = append(c.Entries, Entry{Special: f[0], Cmd: strings.Join(f[1:], " "),
				Identifier: identifier, Comment: joinComment(comment), Commented: commented})
			flush()
		case strings.HasPrefix(line, "#"):
			text := strings.TrimLeft(line, "# ")
			if i := strings.Index(text, idMarker); i >= 0 {
				id := text[i+len(idMarker):]
				text = strings.TrimRight(text[:i], " ")
				if len(id) > 1 && id[0] == ':' {
					identifier = id[1:]
				}
			}
			if text != "" || len(comment) > 0 {
				comment = append(comment, text)
			}
		case isEnvLine(line):
			name, value, _ := strings.Cut(line, "=")
			c.Env = append(c.Env, EnvVar{Name: name, Value: value})
		default:
			f := strings.Split(line, " ")
			if len(f) <= 5 {
				flush()
				continue
			}
			c.Entries = append(c.Entries, Entry{Minute: f[0], Hour: f[1], DayMonth: f[2], Month: f[3], DayWeek: f[4],
				Cmd: strings.Join(f[5:], " "), Identifier: identifier, Comment: joinComment(comment), Commented: commented})
			flush()
		}
	}
	return c
}

func isEnvLine(line string) bool {
	eq := strings.IndexByte(line, '=')
	if eq <= 0 {
		return false
	}
	sp := strings.IndexByte(line, ' ')
	return sp < 0 || eq < sp
}

// String renders the crontab in Salt's layout.
func (c Crontab) String() string {
	var b strings.Builder
	for _, l := range c.Pre {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(tag)
	b.WriteByte('\n')
	for _, e := range c.Env {
		b.WriteString(e.Name + "=" + e.Value + "\n")
	}
	for _, e := range c.Entries {
		if e.Comment != "" || e.Identifier != "" {
			b.WriteString("#")
			if e.Comment != "" {
				b.WriteString(" " + strings.ReplaceAll(strings.TrimRight(e.Comment, "\n"), "\n", "\n# "))
			}
			if e.Identifier != "" {
				b.WriteString(" " + idMarker + ":" + e.Identifier)
			}
			b.WriteByte('\n')
		}
		if e.Commented {
			b.WriteString(disabled)
		}
		if e.Special != "" {
			b.WriteString(e.Special + " " + e.Cmd + "\n")
			continue
		}
		b.WriteString(strings.Join([]string{e.Minute, e.Hour, e.DayMonth, e.Month, e.DayWeek, e.Cmd}, " ") + "\n")
	}
	return b.String()
}

// matches reports whether e is the job a state means: by identifier when
// the entry has one, by command otherwise (crontabs written before
// identifiers existed).
func (e Entry) matches(cmd, identifier string) bool {
	if e.Identifier != "" && e.Identifier != noIdentifier {
		return e.Identifier == identifier
	}
	return e.Cmd == cmd
}

// joinComment joins comment lines; trailing empty ones carry nothing (and
// are not rendered back).
func joinComment(lines []string) string {
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
