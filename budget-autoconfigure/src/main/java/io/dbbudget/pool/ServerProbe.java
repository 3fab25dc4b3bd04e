package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.retry.TransientFailures;
import io.dbbudget.server.ServerDialect.DriverProperty;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.pgbouncer.PgBouncerLimits;
import io.dbbudget.server.pgbouncer.PgBouncerLimitsReader;
import io.dbbudget.server.pgbouncer.PoolerDetection;
import org.jspecify.annotations.Nullable;

/**
 * Unpooled DataSources with a pool's own URL, driver, credentials and properties, used to ask
 * the server for its limits on short-lived connections. Their timeouts are short so that
 * start-up never waits long on a server that is down. A URL with several hosts is asked
 * host by host, and the smallest limit among the hosts that answer is the server's: the pool
 * may reach any of them.
 *
 * @author db-budget team
 */
final class ServerProbe {

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

	private final ServerDialect dialect;

	private final DataSource server;

	private final String url;

	private final List<Host> hosts;

	// The pool's driver properties, for PgBouncer's admin console with the pool's login
	private final Properties properties;

	private final PoolLogin login;

	private ServerProbe(ServerDialect dialect, DataSource server, String url, List<Host> hosts, Properties properties,
			PoolLogin login) {
		this.dialect = dialect;
		this.server = server;
		this.url = url;
		this.hosts = hosts;
		this.properties = properties;
		this.login = login;
	}

	/**
	 * The probe of a pool's server.
	 * @param dataSource the pool
	 * @param applicationName the name db-budget's own sessions carry, if any
	 * @return the probe, or {@code null} if db-budget cannot ask the pool's database
	 */
	static @Nullable ServerProbe of(HikariDataSource dataSource, @Nullable String applicationName) {
		ServerDialect dialect = ServerDialect.forUrl(dataSource.getJdbcUrl());
		if (dialect == null) {
			return null;
		}
		Properties properties = new Properties();
		properties.putAll(dataSource.getDataSourceProperties());
		dialect.setTimeouts(properties, CONNECT_TIMEOUT, READ_TIMEOUT);
		if (applicationName != null) {
			DriverProperty name = dialect.applicationNameProperty(dataSource.getJdbcUrl(), properties, applicationName);
			if (name != null) {
				properties.setProperty(name.name(), name.value());
			}
		}
		PoolLogin login = new PoolLogin(dataSource);
		DataSource server = login.unpooled(dataSource.getJdbcUrl(), properties);
		List<String> hostUrls = ServerAddress.singleHostUrls(dataSource.getJdbcUrl());
		List<Host> hosts = (hostUrls.size() > 1)
				? hostUrls.stream().map((url) -> new Host(url, login.unpooled(url, properties))).toList()
				: List.of(new Host(dataSource.getJdbcUrl(), server));
		return new ServerProbe(dialect, server, dataSource.getJdbcUrl(), hosts, properties, login);
	}

	/**
	 * The database the server speaks.
	 * @return its dialect
	 */
	ServerDialect dialect() {
		return this.dialect;
	}

	/**
	 * Where db-budget's own sessions on the server connect: the pool's URL as it is.
	 * @return the DataSource
	 */
	DataSource server() {
		return this.server;
	}

	/**
	 * Reads the server's limits, and its settings for the advisor; behind PgBouncer, its own
	 * limits and pool mode too.
	 * @param settingsRead called with the settings of the host whose limits are kept, where
	 * the advisor knows the server's settings
	 * @return what was read: of a URL with several hosts, the host with the smallest limit
	 * among those that answered, or the first behind a pooler whose limits cannot be read
	 * @throws SQLException if no host answered, or PgBouncer's console may answer later
	 */
	ServerReading read(Consumer<ServerSettings> settingsRead) throws SQLException {
		Reading smallest = null;
		SQLException failure = null;
		for (Host host : this.hosts) {
			try {
				Reading reading = read(host);
				if (reading.pooler() != null && !reading.pooler().isReadable()) {
					return reading.result();
				}
				if (smallest == null || reading.usable() < smallest.usable()) {
					smallest = reading;
				}
			}
			catch (SQLException ex) {
				failure = ex;
			}
		}
		if (smallest == null) {
			throw failure;
		}
		if (smallest.settings() != null) {
			settingsRead.accept(smallest.settings());
		}
		return smallest.result();
	}

	private Reading read(Host host) throws SQLException {
		AtomicReference<ServerSettings> settings = new AtomicReference<>();
		try (Connection connection = host.dataSource().getConnection()) {
			ServerLimits limits = this.dialect.readLimits(connection, settings::set);
			PgBouncerLimits pooler = isPostgreSql(host.url()) && PoolerDetection.isPooled(connection)
					? readPooler(host.url()) : null;
			return new Reading(limits, settings.get(), pooler);
		}
	}

	/**
	 * Whether the pool reaches its server through a pooler, and what the pooler allows.
	 * @return PgBouncer's limits and pool mode, or why they could not be read; {@code null} when
	 * the pool reaches the server directly
	 * @throws SQLException if that cannot be told now: the server or PgBouncer's console does
	 * not answer
	 */
	@Nullable PgBouncerLimits readPooler() throws SQLException {
		if (!isPostgreSql(this.url)) {
			return null;
		}
		try (Connection connection = this.server.getConnection()) {
			return readPooler(connection);
		}
	}

	/**
	 * Whether a connection to {@link #server()} reaches it through a pooler, and what the
	 * pooler allows.
	 * @param connection the connection
	 * @return PgBouncer's limits and pool mode, or why they could not be read; {@code null} when
	 * the connection reaches the server directly
	 * @throws SQLException if that cannot be told now: the connection or PgBouncer's console
	 * does not answer
	 */
	@Nullable PgBouncerLimits readPooler(Connection connection) throws SQLException {
		return (isPostgreSql(this.url) && PoolerDetection.isPooled(connection)) ? readPooler(this.url) : null;
	}

	private PgBouncerLimits readPooler(String url) throws SQLException {
		try {
			return PgBouncerLimitsReader.read(url, this.login.properties(this.properties));
		}
		catch (SQLException ex) {
			if (TransientFailures.isTransient(ex)) {
				throw ex;
			}
			return PgBouncerLimits.unreadable(ex.getMessage());
		}
	}

	private static boolean isPostgreSql(String url) {
		return url.regionMatches(true, 0, "jdbc:postgresql:", 0, 16);
	}

	private record Host(String url, DataSource dataSource) {

	}

	private record Reading(ServerLimits limits, @Nullable ServerSettings settings, @Nullable PgBouncerLimits pooler) {

		int usable() {
			return (this.pooler != null) ? this.pooler.limits().usableConnections() : this.limits.usableConnections();
		}

		ServerReading result() {
			return new ServerReading(this.limits, this.pooler);
		}

	}

}
