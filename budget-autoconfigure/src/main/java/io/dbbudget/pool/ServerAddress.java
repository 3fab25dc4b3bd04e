package io.dbbudget.pool;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The server a JDBC URL reaches: its hosts and ports, and the database named in the URL.
 * Every way a driver lets a URL name a host is read into one form, {@code host:port} with
 * the host in lower case, the driver's default port where the URL names none and IPv6
 * literals in brackets ({@link HostSpecs}), so that two URLs that name one server in
 * different ways name the same host. Pools whose URLs name a host in common share that server's connection limit and
 * so its budget, whatever their databases or options: see {@link #overlaps(ServerAddress)}.
 * <p>
 * Only hosts and ports are kept: never the user info, passwords or other key-value
 * properties that URLs carry, because the address is shown in logs, in the plan and by the
 * endpoint to whoever may read it.
 *
 * @param scheme the URL's sub-protocol, such as {@code postgresql}
 * @param hosts the hosts as {@code host:port} (the driver's default port where the URL names
 * none, no port where db-budget does not know the driver's), in the URL's order; a URL
 * without hosts (an embedded database) is its own host
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
		String url = jdbcUrl.regionMatches(true, 0, "jdbc:", 0, 5) ? jdbcUrl.substring(5) : jdbcUrl;
		int colon = url.indexOf(':');
		String scheme = ((colon > 0) ? url.substring(0, colon) : url).toLowerCase(Locale.ROOT);
		Integer defaultPort = DEFAULT_PORTS.get(scheme);
		// Parameters and properties come after ? or ;, and may hold credentials: never read
		String target = HostSpecs.beforeParameters((colon > 0) ? url.substring(colon + 1) : "");
		int slashes = target.indexOf("//");
		if (slashes >= 0) {
			// host lists (postgresql://, mysql:loadbalance://, mariadb:replication://,
			// sqlserver://) and Oracle's thin user/password@//host:port/service
			String rest = target.substring(slashes + 2);
			int end = HostSpecs.authorityEnd(rest);
			List<String> hosts = HostSpecs.hostsOf(rest.substring(0, end), defaultPort);
			String database = (defaultPort != null && end < rest.length()) ? rest.substring(end + 1) : "";
			return new ServerAddress(scheme, orLocal(hosts, scheme, defaultPort), database);
		}
		if (scheme.equals("postgresql")) {
			// jdbc:postgresql:database reaches the local server on the default port
			return new ServerAddress(scheme, List.of("localhost:" + defaultPort), target);
		}
		int at = HostSpecs.lastAtTopLevel(target);
		if (at >= 0) {
			// Oracle's thin user/password@host:port:sid, @host:port/service and @(DESCRIPTION=..)
			String spec = target.substring(at + 1);
			List<String> hosts = HostSpecs.hostsOf(spec.substring(0, HostSpecs.authorityEnd(spec)), defaultPort);
			return new ServerAddress(scheme, orLocal(hosts, scheme, defaultPort), "");
		}
		if (HostSpecs.namesKeyValueHost(target)) {
			return new ServerAddress(scheme, orLocal(HostSpecs.hostsOf(target, defaultPort), scheme, defaultPort), "");
		}
		// An embedded database (h2:mem:orders, derby:memory:orders) is a server of its own
		return new ServerAddress(scheme, List.of(scheme + ":" + target), "");
	}

	/**
	 * Whether a pool on this server and a pool on another may reach the same server: whether
	 * the two name a host in common. A URL of several hosts may land on any of them (one is
	 * down, or a failover made another the primary), so it shares each one's budget.
	 * @param other the other server
	 * @return whether they name a host in common
	 */
	public boolean overlaps(ServerAddress other) {
		return !Collections.disjoint(this.hosts, other.hosts);
	}

	/**
	 * This server widened by the hosts of another that overlaps it: the server that pools of
	 * both reach, and that they budget as one.
	 * @param other the other server
	 * @return the hosts of both, this server's first
	 */
	public ServerAddress union(ServerAddress other) {
		Set<String> hosts = new LinkedHashSet<>(this.hosts);
		hosts.addAll(other.hosts);
		return new ServerAddress(this.scheme, List.copyOf(hosts), this.database);
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
		int end = HostSpecs.authorityEnd(rest);
		List<String> hosts = HostSpecs.splitTopLevel(rest.substring(0, end));
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

	private static List<String> orLocal(List<String> hosts, String scheme, @Nullable Integer defaultPort) {
		if (!hosts.isEmpty()) {
			return hosts;
		}
		// A URL that names no host reaches the driver's local default; a driver db-budget does
		// not know may take its host from properties: all of its pools are taken for one server,
		// which can only make their budget smaller
		return List.of((defaultPort != null) ? "localhost:" + defaultPort : scheme);
	}

	/**
	 * The server's hosts, as logs and the endpoint show them: {@code host:port} only, not its
	 * database, which names the application's data and often its role, and never user info
	 * or credentials.
	 * @return the hosts
	 */
	@Override
	public String toString() {
		return String.join(",", this.hosts);
	}

}
