package fn

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
)

// dateTime is an xsd:dateTime value with its fields as written, which
// YEAR, HOURS, TZ and the others return, and its instant for comparing.
type dateTime struct {
	year, month, day, hour, minute int
	// seconds is the seconds field with its fraction, as written ("01.5").
	seconds string
	// zone is the time zone as written ("Z", "-08:00"), empty for none.
	zone string
	// offset is the zone's offset from UTC in minutes.
	offset int
	// instant is the moment, reading a value without a zone as UTC.
	instant time.Time
}

// dateTimeOf returns t's value when t is a valid xsd:dateTime literal.
func dateTimeOf(t rdf.Term) (dateTime, bool) {
	if t.Kind != rdf.Literal || t.Datatype != xsdDateTime {
		return dateTime{}, false
	}
	return parseDateTime(strings.TrimSpace(t.Value))
}

// parseDateTime reads -?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?.
func parseDateTime(lex string) (dateTime, bool) {
	var d dateTime
	rest := lex
	neg := strings.HasPrefix(rest, "-")
	if neg {
		rest = rest[1:]
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n < 4 || n > 9 || (n > 4 && rest[0] == '0') {
		return d, false
	}
	d.year, _ = strconv.Atoi(rest[:n])
	if neg {
		d.year = -d.year
	}
	rest = rest[n:]
	// -MM-DDThh:mm:ss is fixed width.
	if len(rest) < 15 || rest[0] != '-' || rest[3] != '-' || rest[6] != 'T' || rest[9] != ':' || rest[12] != ':' {
		return d, false
	}
	fields := []string{rest[1:3], rest[4:6], rest[7:9], rest[10:12], rest[13:15]}
	vals := make([]int, len(fields))
	for i, f := range fields {
		if !allDigits(f) {
			return d, false
		}
		vals[i], _ = strconv.Atoi(f)
	}
	d.month, d.day, d.hour, d.minute = vals[0], vals[1], vals[2], vals[3]
	sec := vals[4]
	rest = rest[15:]
	d.seconds = fields[4]
	nanos := 0
	if strings.HasPrefix(rest, ".") {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k == 1 {
			return d, false
		}
		d.seconds += rest[:k]
		nanos, _ = strconv.Atoi((rest[1:k] + "000000000")[:9])
		rest = rest[k:]
	}
	if !parseZone(rest, &d) {
		return d, false
	}
	endOfDay := d.hour == 24 && d.minute == 0 && sec == 0 && nanos == 0
	if d.month < 1 || d.month > 12 || d.day < 1 ||
		d.day > time.Date(d.year, time.Month(d.month)+1, 0, 0, 0, 0, 0, time.UTC).Day() ||
		(d.hour > 23 && !endOfDay) || d.minute > 59 || sec > 59 {
		return d, false
	}
	t := time.Date(d.year, time.Month(d.month), d.day, d.hour, d.minute, sec, nanos, time.UTC)
	d.instant = t.Add(-time.Duration(d.offset) * time.Minute)
	return d, true
}

// parseZone reads an optional Z or (+|-)hh:mm into d.
func parseZone(s string, d *dateTime) bool {
	switch {
	case s == "":
		return true
	case s == "Z":
		d.zone = s
		return true
	case len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !allDigits(s[1:3]) || !allDigits(s[4:]):
		return false
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[4:])
	if h > 14 || m > 59 || (h == 14 && m != 0) {
		return false
	}
	d.zone, d.offset = s, h*60+m
	if s[0] == '-' {
		d.offset = -d.offset
	}
	return true
}

// maxZoneOffset is the widest time zone, 14 hours, which bounds how far a
// value without a zone can be from UTC.
const maxZoneOffset = 14 * time.Hour

// compareDateTimes orders a and b by the partial order of XSD 1.1 (part 2,
// D.2.1 and 3.3.7): when exactly one has a time zone, the other could be
// anywhere within 14 hours of UTC, and the order is indeterminate when
// that window overlaps.
func compareDateTimes(a, b dateTime) (c int, indeterminate bool) {
	if (a.zone == "") == (b.zone == "") {
		return a.instant.Compare(b.instant), false
	}
	if a.zone == "" { // compare the other way round
		c, ind := compareDateTimes(b, a)
		return -c, ind
	}
	// a has a zone; b has none: b is between b-14h and b+14h.
	switch {
	case a.instant.Before(b.instant.Add(-maxZoneOffset)):
		return -1, false
	case a.instant.After(b.instant.Add(maxZoneOffset)):
		return 1, false
	}
	return 0, true
}

// dateTimeField computes YEAR, MONTH, DAY, HOURS, MINUTES, SECONDS,
// TIMEZONE and TZ of arg.
func dateTimeField(name string, arg rdf.Term) (rdf.Term, error) {
	d, ok := dateTimeOf(arg)
	if !ok {
		return rdf.Term{}, typeErrorf("%s of %s, which is not an xsd:dateTime", name, describe(arg))
	}
	switch name {
	case "YEAR":
		return integerNumber(int64(d.year)).term(), nil
	case "MONTH":
		return integerNumber(int64(d.month)).term(), nil
	case "DAY":
		return integerNumber(int64(d.day)).term(), nil
	case "HOURS":
		return integerNumber(int64(d.hour)).term(), nil
	case "MINUTES":
		return integerNumber(int64(d.minute)).term(), nil
	case "SECONDS":
		r, _ := new(big.Rat).SetString(d.seconds)
		return number{kind: kindDecimal, r: r}.term(), nil
	case "TIMEZONE":
		if d.zone == "" {
			return rdf.Term{}, typeErrorf("TIMEZONE of %s, which has no time zone", describe(arg))
		}
		return rdf.NewLiteral(dayTimeDuration(d.offset), rdf.XSDNS+"dayTimeDuration", ""), nil
	}
	// TZ
	return stringTerm(d.zone), nil
}

// dayTimeDuration writes an offset in minutes as xsd:dayTimeDuration:
// PT0S, -PT8H, PT5H30M.
func dayTimeDuration(minutes int) string {
	if minutes == 0 {
		return "PT0S"
	}
	sign := ""
	if minutes < 0 {
		sign, minutes = "-", -minutes
	}
	s := sign + "PT"
	if h := minutes / 60; h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m := minutes % 60; m > 0 {
		s += fmt.Sprintf("%dM", m)
	}
	return s
}

// nowTerm is NOW(): t as an xsd:dateTime.
func nowTerm(t time.Time) rdf.Term {
	return rdf.NewLiteral(t.Format("2006-01-02T15:04:05.999999999Z07:00"), xsdDateTime, "")
}
