package grains

import (
	"strconv"
	"strings"
)

// ParseOSRelease parses os-release(5): KEY=value lines where the value may
// be unquoted, "double quoted" (with \" \\ \$ \` escapes) or 'single
// quoted'. Comments, blank lines and lines that are not assignments are
// skipped, as the format asks.
func ParseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !validKey(k) {
			continue
		}
		val, ok := unquote(v)
		if !ok {
			continue
		}
		out[k] = val
	}
	return out
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// unquote undoes shell quoting of one os-release value.
func unquote(v string) (string, bool) {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case c == '\\':
			if i+1 >= len(v) {
				return "", false
			}
			next := v[i+1]
			if quote == '"' && !strings.ContainsRune("\"\\$`", rune(next)) {
				b.WriteByte(c) // a backslash before anything else is literal in ""
			} else {
				i++
				b.WriteByte(next)
			}
		case c == '"' || c == '\'':
			if quote == c {
				quote = 0
			} else if quote == 0 {
				quote = c
			} else {
				b.WriteByte(c)
			}
		case quote == 0 && (c == ' ' || c == '\t'):
			// An unquoted blank ends the value (a trailing comment).
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", false
	}
	return b.String(), true
}

// osNames maps os-release IDs to Salt's "os" grain where it is not the
// capitalised ID.
var osNames = map[string]string{
	"almalinux":           "AlmaLinux",
	"alpine":              "Alpine",
	"amzn":                "Amazon",
	"arch":                "Arch",
	"archarm":             "Arch ARM",
	"centos":              "CentOS",
	"cloudlinux":          "CloudLinux",
	"debian":              "Debian",
	"devuan":              "Devuan",
	"endeavouros":         "EndeavourOS",
	"fedora":              "Fedora",
	"gentoo":              "Gentoo",
	"kali":                "Kali",
	"linuxmint":           "Mint",
	"manjaro":             "Manjaro",
	"neon":                "KDE neon",
	"nixos":               "NixOS",
	"ol":                  "OEL",
	"opensuse":            "openSUSE",
	"opensuse-leap":       "Leap",
	"opensuse-tumbleweed": "Tumbleweed",
	"photon":              "VMware Photon OS",
	"pop":                 "Pop",
	"raspbian":            "Raspbian",
	"rhel":                "RedHat",
	"rocky":               "Rocky",
	"scientific":          "ScientificLinux",
	"sles":                "SUSE",
	"ubuntu":              "Ubuntu",
	"void":                "Void",
}

// osFamilies is Salt's os → os_family map (the part that concerns Linux).
// An os not listed is its own family (Debian, RedHat, Alpine, Arch, ...).
var osFamilies = map[string]string{
	"ALT": "RedHat", "AlmaLinux": "RedHat", "Amazon": "RedHat", "CentOS": "RedHat",
	"CentOS Stream": "RedHat", "CloudLinux": "RedHat", "Fedora": "RedHat", "OEL": "RedHat",
	"Rocky": "RedHat", "ScientificLinux": "RedHat", "XCP-ng": "RedHat", "VMware Photon OS": "RedHat",
	"Ubuntu": "Debian", "Mint": "Debian", "Raspbian": "Debian", "Devuan": "Debian",
	"Kali": "Debian", "Pop": "Debian", "KDE neon": "Debian", "elementary OS": "Debian",
	"Arch ARM": "Arch", "Manjaro": "Arch", "EndeavourOS": "Arch",
	"SUSE": "Suse", "openSUSE": "Suse", "Leap": "Suse", "Tumbleweed": "Suse",
}

// idLikeFamilies gives a family for distributions Salt does not know, from
// the ID_LIKE list of the distributions they derive from.
var idLikeFamilies = map[string]string{
	"debian": "Debian", "ubuntu": "Debian",
	"rhel": "RedHat", "fedora": "RedHat", "centos": "RedHat",
	"suse": "Suse", "opensuse": "Suse",
	"arch": "Arch", "gentoo": "Gentoo", "alpine": "Alpine",
}

// osGrains derives Salt's os* grains from parsed os-release fields.
func osGrains(rel map[string]string) map[string]any {
	g := map[string]any{}
	id := strings.ToLower(rel["ID"])
	if id == "" {
		id = "linux" // os-release(5): ID defaults to "linux"
	}
	osName, ok := osNames[id]
	if !ok {
		osName = strings.ToUpper(id[:1]) + id[1:]
	}
	if id == "centos" && strings.Contains(rel["NAME"], "Stream") {
		osName = "CentOS Stream"
	}
	g["os"] = osName

	family, ok := osFamilies[osName]
	if !ok {
		family = osName
		if _, known := osNames[id]; !known {
			for _, like := range strings.Fields(strings.ToLower(rel["ID_LIKE"])) {
				if f, ok := idLikeFamilies[like]; ok {
					family = f
					break
				}
			}
		}
	}
	g["os_family"] = family

	fullname := rel["NAME"]
	if fullname == "" {
		fullname = osName
	}
	g["osfullname"] = fullname

	if code, ok := rel["VERSION_CODENAME"]; ok {
		if code != "" {
			g["oscodename"] = code
		}
	} else if v := rel["VERSION"]; strings.Contains(v, "(") && strings.HasSuffix(v, ")") {
		g["oscodename"] = v[strings.LastIndex(v, "(")+1 : len(v)-1]
	}

	release := rel["VERSION_ID"]
	if release == "" {
		release = rel["BUILD_ID"] // rolling releases (Arch: "rolling")
	}
	if release == "" {
		return g
	}
	g["osrelease"] = release
	var info []any
	for _, part := range strings.Split(release, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			info = nil
			break
		}
		info = append(info, n)
	}
	if len(info) > 0 {
		g["osrelease_info"] = info
		g["osmajorrelease"] = info[0]
	}
	// Salt's osfinger: "Debian-12", "Ubuntu-22.04", "Rocky Linux-9".
	fingerName := fullname
	if osName == "Debian" || osName == "Raspbian" {
		fingerName = osName
	}
	switch {
	case osName == "Ubuntu" || osName == "Pop":
		g["osfinger"] = fingerName + "-" + release
	case len(info) > 0:
		g["osfinger"] = fingerName + "-" + strconv.Itoa(info[0].(int))
	}
	return g
}

// debianArch maps uname machine names to Debian architecture names, which
// Salt reports as osarch on the Debian family.
var debianArch = map[string]string{
	"x86_64": "amd64", "aarch64": "arm64", "i686": "i386", "i386": "i386",
	"armv7l": "armhf", "armv6l": "armel", "ppc64le": "ppc64el", "s390x": "s390x",
	"riscv64": "riscv64", "mips64": "mips64el",
}
