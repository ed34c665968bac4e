// SPDX-License-Identifier: BSD-3-Clause
//
// oracle.go - the Go 1.19 side of ringnet's differential test.
//
// Reads test lines on stdin and prints one canonical result line per input
// line, computed with Go's real net package.  oracle_ringnet.c implements the
// same protocol with ringnet; run_oracle.sh diffs the two.
//
// Protocol (shared with oracle_ringnet.c):
//
//	input:  FUNC<TAB>arg1<TAB>arg2...    one test per line
//	output: field<TAB>field...           one line per input line
//
// Every argument and output field is escaped: bytes 0x20..0x7e other than
// '\' stand for themselves, '\' is "\\", every other byte is "\xHH"
// (lowercase hex).  Byte-slice arguments (IPs, masks) are hex text.  A
// failure prints "err<TAB>Go type<TAB>Error()".
//
// Build standalone: go build -o oracle_go oracle.go   (no module needed)
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

func unesc(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		if i+3 < len(s) && s[i+1] == 'x' {
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", err
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		return "", errors.New("bad escape")
	}
	return b.String(), nil
}

// hx renders a byte slice; length 0 (nil or empty) is "nil".
func hx(b []byte) string {
	if len(b) == 0 {
		return "nil"
	}
	return hex.EncodeToString(b)
}

func unhex(s string) ([]byte, error) {
	if s == "" || s == "nil" {
		return nil, nil
	}
	return hex.DecodeString(s)
}

func b01(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// flags: the classifiers in a fixed order.
func flags(ip net.IP) string {
	return b01(ip.IsUnspecified()) + b01(ip.IsLoopback()) + b01(ip.IsPrivate()) +
		b01(ip.IsMulticast()) + b01(ip.IsInterfaceLocalMulticast()) +
		b01(ip.IsLinkLocalMulticast()) + b01(ip.IsLinkLocalUnicast()) +
		b01(ip.IsGlobalUnicast())
}

func errLine(err error) string {
	return "err\t" + esc(fmt.Sprintf("%T", err)) + "\t" + esc(err.Error())
}

func join(f ...string) string {
	for i := range f {
		f[i] = esc(f[i])
	}
	return strings.Join(f, "\t")
}

// ipInfo: everything about one IP value.
func ipInfo(ip net.IP) string {
	mt, merr := ip.MarshalText()
	m := "mt:" + string(mt)
	if merr != nil {
		m = "mterr:" + merr.Error()
	}
	return join(hx(ip), ip.String(), m, flags(ip), hx(ip.To4()), hx(ip.To16()),
		ip.DefaultMask().String())
}

// isLiteral reports whether Go's internetAddrList would take host as an IP
// literal (parseIPZone) instead of looking it up.
func isLiteral(host string) bool {
	for i := 0; i < len(host); i++ {
		switch host[i] {
		case '.':
			return net.ParseIP(host) != nil
		case ':':
			h := host
			if j := strings.LastIndexByte(host, '%'); j > 0 {
				h = host[:j]
			}
			return net.ParseIP(h) != nil
		}
	}
	return false
}

// wouldLookup reports whether a Resolve call would consult the host
// database or DNS (the test must not depend on either).
func wouldLookup(fn, network, address string) bool {
	switch fn {
	case "ResolveTCPAddr", "ResolveUDPAddr":
		switch network {
		case "", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		default:
			return false
		}
		if address == "" {
			return false
		}
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return false
		}
		n := network
		if n == "" {
			n = "tcp"
		}
		if _, err := net.LookupPort(n, port); err != nil {
			return false
		}
		return host != "" && !isLiteral(host)
	case "ResolveIPAddr":
		if _, err := net.ResolveIPAddr(network, ""); err != nil {
			return false // the network is rejected before any lookup
		}
		return address != "" && !isLiteral(address)
	}
	return false
}

var dnsAttempted bool

func run(fn string, a []string) string {
	arg := func(i int) string {
		if i < len(a) {
			return a[i]
		}
		return ""
	}
	switch fn {
	case "ParseIP":
		ip := net.ParseIP(arg(0))
		if ip == nil {
			return "nil"
		}
		return ipInfo(ip)
	case "UnmarshalIP":
		var ip net.IP
		if err := ip.UnmarshalText([]byte(arg(0))); err != nil {
			return errLine(err)
		}
		return join(hx(ip), ip.String())
	case "IP":
		b, err := unhex(arg(0))
		if err != nil {
			return "badarg"
		}
		return ipInfo(net.IP(b))
	case "IPEqual":
		x, err1 := unhex(arg(0))
		y, err2 := unhex(arg(1))
		if err1 != nil || err2 != nil {
			return "badarg"
		}
		return b01(net.IP(x).Equal(net.IP(y)))
	case "IPMask":
		x, err1 := unhex(arg(0))
		y, err2 := unhex(arg(1))
		if err1 != nil || err2 != nil {
			return "badarg"
		}
		return hx(net.IP(x).Mask(net.IPMask(y)))
	case "ParseCIDR":
		ip, n, err := net.ParseCIDR(arg(0))
		if err != nil {
			return errLine(err)
		}
		return join(hx(ip), ip.String(), hx(n.IP), hx(n.Mask), n.String(), n.Network())
	case "SplitHostPort":
		h, p, err := net.SplitHostPort(arg(0))
		if err != nil {
			return errLine(err)
		}
		return join(h, p)
	case "JoinHostPort":
		return join(net.JoinHostPort(arg(0), arg(1)))
	case "ParseMAC":
		hw, err := net.ParseMAC(arg(0))
		if err != nil {
			return errLine(err)
		}
		return join(hx(hw), hw.String())
	case "CIDRMask":
		ones, err1 := strconv.Atoi(arg(0))
		bits, err2 := strconv.Atoi(arg(1))
		if err1 != nil || err2 != nil {
			return "badarg"
		}
		m := net.CIDRMask(ones, bits)
		return join(hx(m), m.String())
	case "MaskSize":
		b, err := unhex(arg(0))
		if err != nil {
			return "badarg"
		}
		ones, bits := net.IPMask(b).Size()
		return join(strconv.Itoa(ones), strconv.Itoa(bits), net.IPMask(b).String())
	case "IPNet":
		x, err1 := unhex(arg(0))
		y, err2 := unhex(arg(1))
		z, err3 := unhex(arg(2))
		if err1 != nil || err2 != nil || err3 != nil {
			return "badarg"
		}
		n := &net.IPNet{IP: x, Mask: y}
		return join(n.String(), n.Network(), b01(n.Contains(net.IP(z))))
	case "IPNetNil":
		var n *net.IPNet
		return join(n.String(), n.Network())
	case "LookupPort":
		p, err := net.LookupPort(arg(0), arg(1))
		if err != nil {
			return errLine(err)
		}
		return strconv.Itoa(p)
	case "ResolveTCPAddr", "ResolveUDPAddr", "ResolveIPAddr":
		if wouldLookup(fn, arg(0), arg(1)) {
			return "SKIP\tnon-literal host"
		}
		var out string
		switch fn {
		case "ResolveTCPAddr":
			ad, err := net.ResolveTCPAddr(arg(0), arg(1))
			if err != nil {
				out = errLine(err)
			} else {
				out = join(ad.String(), ad.Network(), hx(ad.IP), strconv.Itoa(ad.Port), ad.Zone,
					ad.AddrPort().String())
			}
		case "ResolveUDPAddr":
			ad, err := net.ResolveUDPAddr(arg(0), arg(1))
			if err != nil {
				out = errLine(err)
			} else {
				out = join(ad.String(), ad.Network(), hx(ad.IP), strconv.Itoa(ad.Port), ad.Zone,
					ad.AddrPort().String())
			}
		default:
			ad, err := net.ResolveIPAddr(arg(0), arg(1))
			if err != nil {
				out = errLine(err)
			} else {
				out = join(ad.String(), ad.Network(), hx(ad.IP), ad.Zone)
			}
		}
		if dnsAttempted {
			dnsAttempted = false
			return "SKIP\tDNS attempted"
		}
		return out
	case "ResolveUnixAddr":
		ad, err := net.ResolveUnixAddr(arg(0), arg(1))
		if err != nil {
			return errLine(err)
		}
		return join(ad.String(), ad.Network())
	}
	return "unknown-func"
}

func main() {
	// Belt and braces: no DNS traffic, ever (wouldLookup keeps names out).
	net.DefaultResolver = &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			dnsAttempted = true
			return nil, errors.New("oracle: DNS disabled")
		},
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	for {
		line, err := in.ReadString('\n')
		if line == "" && err != nil {
			break
		}
		line = strings.TrimSuffix(line, "\n")
		f := strings.Split(line, "\t")
		args := make([]string, 0, len(f)-1)
		bad := false
		for _, s := range f[1:] {
			u, e := unesc(s)
			if e != nil {
				bad = true
			}
			args = append(args, u)
		}
		if bad {
			fmt.Fprintln(out, "badline")
			continue
		}
		fmt.Fprintln(out, run(f[0], args))
	}
}
