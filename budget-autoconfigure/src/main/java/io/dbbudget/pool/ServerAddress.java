package io.dbbudget.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The server a JDBC URL reaches: its hosts and ports, and the database named in the URL.
 * Pools whose URLs name the same hosts share that server's connection limit and so its
 * budget, whatever their databases or options.
 *
 * @param scheme the URL's sub-protocol, such as {@code postgresql}
 * @param hosts the hosts as {@code host:port} (the driver's default port where the URL names
 * none), in the URL's order; a URL without hosts (an embedded database) is its own host
 * @param database the database named in the URL, or an empty string
 * @author db-budget team
 */
public record ServerAddress(String scheme, List<String> hosts, String database) {

	private static final Map<String, Integer> DEFAULT_PORTS = Map.of("postgresql", 5432, "mysql", 3306, "mariadb",
			3306);

	// pgjdbc's multi-host URLs choose a host by this parameter, which would refuse a probe of
	// a single host that is not of the wanted type
	private static final Pattern TARGET_SERVER_TYPE = Pattern.compile("(?i)([?&])targetServerType=[^&]*&?");

	/**
	 * The server a JDBC URL reaches.
	 * @param jdbcUrl the URL
	 * @return the server
	 */
	public static ServerAddress of(String jdbcUrl) {
		String url = jdbcUrl.startsWith("jdbc:") ? jdbcUrl.substring(5) : jdbcUrl;
		int colon = url.indexOf(':');
		String scheme = (colon > 0) ? url.substring(0, colon).toLowerCase(Locale.ROOT) : url;
		Integer defaultPort = DEFAULT_PORTS.get(scheme);
		int slashes = url.indexOf("//");
		if (defaultPort == null || slashes < 0) {
			if (defaultPort != null && scheme.equals("postgresql")) {
				// jdbc:postgresql:database reaches the local server on the default port
				return new ServerAddress(scheme, List.of("localhost:" + defaultPort), beforeParameters(url.substring(colon + 1)));
			}
			return new ServerAddress(scheme, List.of(beforeParameters(url)), "");
		}
		String rest = url.substring(slashes + 2);
		int end = authorityEnd(rest);
		List<String> hosts = new ArrayList<>();
		for (String host : splitHosts(rest.substring(0, end))) {
			hosts.add(withPort(host, defaultPort));
		}
		if (hosts.isEmpty()) {
			hosts.add("localhost:" + defaultPort);
		}
		String path = rest.substring(end);
		String database = path.startsWith("/") ? beforeParameters(path.substring(1)) : "";
		return new ServerAddress(scheme, List.copyOf(hosts), database);
	}

	/**
	 * Whether the URL names several hosts.
	 * @return whether it does
	 */
	public boolean isMultiHost() {
		return this.hosts.size() > 1;
	}

	/**
	 * What identifies the server: its hosts in a stable order.
	 * @return the key
	 */
	public String key() {
		return this.hosts.stream().sorted().reduce((first, second) -> first + "," + second).orElse("");
	}

	/**
	 * The URL once for each of its hosts, to ask each host on its own.
	 * @param jdbcUrl the URL this address was read from
	 * @return one URL per host, in the URL's order
	 */
	public static List<String> singleHostUrls(String jdbcUrl) {
		int slashes = jdbcUrl.indexOf("//");
		if (slashes < 0) {
			return List.of(jdbcUrl);
		}
		String prefix = jdbcUrl.substring(0, slashes + 2);
		String rest = jdbcUrl.substring(slashes + 2);
		int end = authorityEnd(rest);
		List<String> hosts = splitHosts(rest.substring(0, end));
		if (hosts.size() < 2) {
			return List.of(jdbcUrl);
		}
		String path = TARGET_SERVER_TYPE.matcher(rest.substring(end)).replaceAll("$1");
		if (path.endsWith("?") || path.endsWith("&")) {
			path = path.substring(0, path.length() - 1);
		}
		String tail = path;
		return hosts.stream().map((host) -> prefix + host + tail).toList();
	}

	private static int authorityEnd(String rest) {
		int depth = 0;
		for (int i = 0; i < rest.length(); i++) {
			char c = rest.charAt(i);
			if (c == '(' || c == '[') {
				depth++;
			}
			else if (c == ')' || c == ']') {
				depth--;
			}
			else if (depth == 0 && (c == '/' || c == '?' || c == ';')) {
				return i;
			}
		}
		return rest.length();
	}

	private static List<String> splitHosts(String authority) {
		List<String> hosts = new ArrayList<>();
		int depth = 0;
		int start = 0;
		for (int i = 0; i < authority.length(); i++) {
			char c = authority.charAt(i);
			if (c == '(' || c == '[') {
				depth++;
			}
			else if (c == ')' || c == ']') {
				depth--;
			}
			else if (c == ',' && depth == 0) {
				hosts.add(authority.substring(start, i));
				start = i + 1;
			}
		}
		hosts.add(authority.substring(start));
		return hosts.stream().filter((host) -> !host.isBlank()).toList();
	}

	private static String withPort(String host, int defaultPort) {
		String address = host.substring(host.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
		if (address.isEmpty()) {
			return "localhost:" + defaultPort;
		}
		boolean hasPort = address.startsWith("[") ? address.contains("]:") : address.contains(":");
		return (hasPort || address.startsWith("(") || address.startsWith("address=")) ? address
				: address + ":" + defaultPort;
	}

	private static String beforeParameters(String text) {
		int end = text.length();
		for (char separator : new char[] { '?', ';' }) {
			int index = text.indexOf(separator);
			if (index >= 0) {
				end = Math.min(end, index);
			}
		}
		return text.substring(0, end);
	}

	/**
	 * The server's hosts, as logs and the endpoint show them: not its database, which names
	 * the application's data and often its role.
	 * @return the hosts
	 */
	@Override
	public String toString() {
		return String.join(",", this.hosts);
	}

}
