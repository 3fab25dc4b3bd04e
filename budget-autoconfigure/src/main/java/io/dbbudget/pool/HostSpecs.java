package io.dbbudget.pool;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * How JDBC URLs name hosts, read into one form: {@code host:port}, the host in lower case,
 * the driver's default port where the spec names none, an IPv6 literal in brackets in its
 * canonical text. Reads {@code host}, {@code host:port}, {@code [ipv6]:port}, user info
 * before {@code @} (dropped), MySQL's {@code address=(host=..)(port=..)},
 * {@code (host=..,port=..)} and {@code [host list]}, and Oracle's {@code host:port:sid} and
 * {@code (ADDRESS=(HOST=..)(PORT=..))}. Every other key and value (users, passwords,
 * properties) is left out. Nothing is resolved: two names of one machine stay two hosts.
 *
 * @author db-budget team
 */
final class HostSpecs {

	// MySQL's and MariaDB's address=(host=..)(port=..) and (host=..,port=..) host specs, and
	// Oracle's (ADDRESS=(HOST=..)(PORT=..)) descriptors: one address each
	private static final Pattern ADDRESS = Pattern.compile("(?i)address\\s*=");

	private static final Pattern HOST = Pattern.compile("(?i)(?:^|[(,\\s])host\\s*=\\s*([^,()\\s]+)");

	private static final Pattern PORT = Pattern.compile("(?i)(?:^|[(,\\s])port\\s*=\\s*(\\d+)");

	private static final Pattern LEADING_DIGITS = Pattern.compile("^\\d+");

	private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9a-fA-F:.]+");

	private HostSpecs() {
	}

	/**
	 * Whether a text names a host in MySQL's or Oracle's key-value form ({@code host=..}).
	 * @param text the text
	 * @return whether it does
	 */
	static boolean namesKeyValueHost(String text) {
		return HOST.matcher(text).find();
	}

	/**
	 * The hosts of a URL's host list, or of one host spec, each as {@code host:port}.
	 * @param authority the host list, without the URL's path and parameters
	 * @param defaultPort the driver's default port, or {@code null} where it is not known
	 * @return the hosts, each once, in the URL's order
	 */
	static List<String> hostsOf(String authority, @Nullable Integer defaultPort) {
		Set<String> hosts = new LinkedHashSet<>();
		for (String element : splitTopLevel(authority)) {
			// user:password@host (MySQL, MariaDB, Oracle): the user info is never kept
			String spec = element.substring(lastAtTopLevel(element) + 1).strip();
			if (spec.startsWith("[") && isHostList(spec.substring(1, Math.max(1, spec.indexOf(']'))))) {
				// MySQL's [host1:port,host2:port] and [(host=..),(host=..)]
				hosts.addAll(hostsOf(spec.substring(1, Math.max(1, spec.indexOf(']'))), defaultPort));
			}
			else if (spec.startsWith("(") || ADDRESS.matcher(spec).lookingAt()) {
				hosts.addAll(keyValueHosts(spec, defaultPort));
			}
			else if (!spec.isEmpty()) {
				hosts.add(plainHost(spec, defaultPort));
			}
		}
		return List.copyOf(hosts);
	}

	// Brackets hold an IPv6 literal, which has two colons at least, or a MySQL host list
	private static boolean isHostList(String bracketed) {
		return bracketed.chars().anyMatch((c) -> c == ',' || c == '(' || c == '=' || c == '@')
				|| bracketed.chars().filter((c) -> c == ':').count() < 2;
	}

	private static List<String> keyValueHosts(String spec, @Nullable Integer defaultPort) {
		List<String> hosts = new ArrayList<>();
		for (String address : ADDRESS.split(spec)) {
			Matcher host = HOST.matcher(address);
			if (host.find()) {
				Matcher port = PORT.matcher(address);
				hosts.add(hostAndPort(host.group(1), port.find() ? port.group(1) : null, defaultPort));
			}
		}
		return hosts;
	}

	// host, host:port, [ipv6]:port, a bare IPv6 literal, or Oracle's host:port:sid
	private static String plainHost(String spec, @Nullable Integer defaultPort) {
		if (spec.startsWith("[") && spec.indexOf(']') > 0) {
			int close = spec.indexOf(']');
			String after = spec.substring(close + 1);
			return hostAndPort(spec.substring(1, close), after.startsWith(":") ? leadingDigits(after.substring(1)) : null,
					defaultPort);
		}
		int colon = spec.indexOf(':');
		if (colon < 0 || ipv6(spec) != null) {
			return hostAndPort(spec, null, defaultPort);
		}
		return hostAndPort(spec.substring(0, colon), leadingDigits(spec.substring(colon + 1)), defaultPort);
	}

	private static String hostAndPort(String host, @Nullable String port, @Nullable Integer defaultPort) {
		String name = host.strip().toLowerCase(Locale.ROOT);
		String ipv6 = ipv6(name);
		if (ipv6 != null) {
			name = "[" + ipv6 + "]";
		}
		else if (name.isEmpty()) {
			name = "localhost";
		}
		if (port != null && !port.isEmpty()) {
			return name + ":" + port;
		}
		return (defaultPort != null) ? name + ":" + defaultPort : name;
	}

	private static @Nullable String leadingDigits(String text) {
		Matcher digits = LEADING_DIGITS.matcher(text);
		return digits.find() ? digits.group() : null;
	}

	/**
	 * An IPv6 literal in its one canonical text (RFC 5952: lower case, leading zeros dropped,
	 * the longest run of zero groups as {@code ::}), so that {@code ::1} and
	 * {@code 0:0:0:0:0:0:0:1} name one host. Parsed in brackets, which the JDK reads as a
	 * literal only and never looks up; {@code null} for a text that is no IPv6 literal.
	 */
	private static @Nullable String ipv6(String text) {
		if (text.indexOf(':') < 0) {
			return null;
		}
		if (text.indexOf('%') >= 0) {
			// A zone (fe80::1%eth0) is kept as written
			return text;
		}
		if (!IPV6_CHARACTERS.matcher(text).matches()) {
			// Oracle's host:port:sid, say: not an address, and never handed to the JDK
			return null;
		}
		try {
			InetAddress address = InetAddress.getByName("[" + text + "]");
			return (address instanceof Inet6Address) ? canonical(address.getAddress()) : text;
		}
		catch (UnknownHostException | IllegalArgumentException ex) {
			return null;
		}
	}

	private static String canonical(byte[] address) {
		int[] groups = new int[8];
		for (int i = 0; i < 8; i++) {
			groups[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
		}
		int bestStart = -1;
		int bestLength = 1;
		for (int i = 0; i < 8; i++) {
			int length = 0;
			while (i + length < 8 && groups[i + length] == 0) {
				length++;
			}
			if (length > bestLength) {
				bestStart = i;
				bestLength = length;
			}
		}
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < 8; i++) {
			if (i == bestStart) {
				text.append("::");
				i += bestLength - 1;
				continue;
			}
			if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
				text.append(':');
			}
			text.append(Integer.toHexString(groups[i]));
		}
		return text.toString();
	}

	static int authorityEnd(String rest) {
		List<Integer> ends = topLevel(rest, "/?;");
		return ends.isEmpty() ? rest.length() : ends.get(0);
	}

	static List<String> splitTopLevel(String authority) {
		List<String> hosts = new ArrayList<>();
		int start = 0;
		for (int comma : topLevel(authority, ",")) {
			hosts.add(authority.substring(start, comma));
			start = comma + 1;
		}
		hosts.add(authority.substring(start));
		return hosts.stream().filter((host) -> !host.isBlank()).toList();
	}

	static int lastAtTopLevel(String text) {
		List<Integer> ats = topLevel(text, "@");
		return ats.isEmpty() ? -1 : ats.get(ats.size() - 1);
	}

	static String beforeParameters(String text) {
		List<Integer> starts = topLevel(text, "?;");
		return starts.isEmpty() ? text : text.substring(0, starts.get(0));
	}

	// Where the characters stand outside parentheses and brackets, which MySQL's key-value
	// host specs and IPv6 addresses use, and inside which they mean nothing
	private static List<Integer> topLevel(String text, String characters) {
		List<Integer> found = new ArrayList<>();
		int depth = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '(' || c == '[') {
				depth++;
			}
			else if (c == ')' || c == ']') {
				depth--;
			}
			else if (depth == 0 && characters.indexOf(c) >= 0) {
				found.add(i);
			}
		}
		return found;
	}

}
