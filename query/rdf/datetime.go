package rdf

import (
	"strconv"
	"time"

	"github.com/akutan-dev/akutan/storage"
)

// dateScanner reads the fixed-width fields of XSD date and time values.
type dateScanner struct {
	s  string
	ok bool
}

// num reads exactly n digits.
func (d *dateScanner) num(n int) int {
	if !d.ok || len(d.s) < n || !allDigits(d.s[:n]) {
		d.ok = false
		return 0
	}
	v, _ := strconv.Atoi(d.s[:n])
	d.s = d.s[n:]
	return v
}

func (d *dateScanner) lit(c byte) {
	if !d.ok || d.s == "" || d.s[0] != c {
		d.ok = false
		return
	}
	d.s = d.s[1:]
}

// year reads -?YYYY: four or more digits, no leading zero beyond four.
func (d *dateScanner) year() int {
	neg := false
	if d.s != "" && d.s[0] == '-' {
		neg, d.s = true, d.s[1:]
	}
	n := 0
	for n < len(d.s) && d.s[n] >= '0' && d.s[n] <= '9' {
		n++
	}
	if n < 4 || n > 9 || (n > 4 && d.s[0] == '0') {
		d.ok = false
		return 0
	}
	y := d.num(n)
	if neg {
		y = -y
	}
	return y
}

// zone reads an optional Z or (+|-)hh:mm and returns its offset in seconds.
func (d *dateScanner) zone() int {
	switch {
	case !d.ok || d.s == "":
		return 0
	case d.s == "Z":
		d.s = ""
		return 0
	case d.s[0] != '+' && d.s[0] != '-':
		d.ok = false
		return 0
	}
	sign := 1
	if d.s[0] == '-' {
		sign = -1
	}
	d.s = d.s[1:]
	h := d.num(2)
	d.lit(':')
	m := d.num(2)
	if h > 14 || m > 59 || (h == 14 && m != 0) {
		d.ok = false
	}
	return sign * (h*3600 + m*60)
}

// done reports whether every field was valid and nothing is left over.
func (d *dateScanner) done() bool { return d.ok && d.s == "" }

func validDay(y, m, day int) bool {
	if m < 1 || m > 12 || day < 1 {
		return false
	}
	return day <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseDate reads xsd:date, xsd:gYearMonth or xsd:gYear, by precision.
// A time zone is checked but ignored, keeping the calendar date.
func parseDate(lex string, p storage.Precision) (storage.Object, bool) {
	d := &dateScanner{s: lex, ok: true}
	y, m, day := d.year(), 1, 1
	if p >= storage.PrecisionMonth {
		d.lit('-')
		m = d.num(2)
	}
	if p >= storage.PrecisionDay {
		d.lit('-')
		day = d.num(2)
	}
	d.zone()
	if !d.done() || !validDay(y, m, day) {
		return storage.Object{}, false
	}
	return storage.ATimestamp(time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), p), true
}

// parseDateTime reads xsd:dateTime; see the package documentation.
func parseDateTime(lex string) (storage.Object, bool) {
	d := &dateScanner{s: lex, ok: true}
	y := d.year()
	d.lit('-')
	mo := d.num(2)
	d.lit('-')
	day := d.num(2)
	d.lit('T')
	h := d.num(2)
	d.lit(':')
	mi := d.num(2)
	d.lit(':')
	sec := d.num(2)
	nanos, p := d.fraction()
	off := d.zone()
	endOfDay := h == 24 && mi == 0 && sec == 0 && nanos == 0
	if !d.done() || !validDay(y, mo, day) || (h > 23 && !endOfDay) || mi > 59 || sec > 59 {
		return storage.Object{}, false
	}
	t := time.Date(y, time.Month(mo), day, h, mi, sec, nanos, time.UTC) // 24:00 rolls over
	return storage.ATimestamp(t.Add(-time.Duration(off)*time.Second), p), true
}

// fraction reads an optional .s+ of seconds; digits past nanoseconds are
// dropped.
func (d *dateScanner) fraction() (int, storage.Precision) {
	if !d.ok || d.s == "" || d.s[0] != '.' {
		return 0, storage.PrecisionSecond
	}
	d.s = d.s[1:]
	n := 0
	for n < len(d.s) && d.s[n] >= '0' && d.s[n] <= '9' {
		n++
	}
	if n == 0 {
		d.ok = false
		return 0, storage.PrecisionSecond
	}
	digits := (d.s[:n] + "000000000")[:9]
	d.s = d.s[n:]
	v, _ := strconv.Atoi(digits)
	return v, storage.PrecisionNanosecond
}
