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
import com.zaxxer.hikari.util.DriverDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.ServerDialect.DriverProperty;
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

	private final List<DataSource> hosts;

	private ServerProbe(ServerDialect dialect, DataSource server, List<DataSource> hosts) {
		this.dialect = dialect;
		this.server = server;
		this.hosts = hosts;
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
		DataSource server = unpooled(dataSource, dataSource.getJdbcUrl(), properties);
		List<String> hostUrls = ServerAddress.singleHostUrls(dataSource.getJdbcUrl());
		List<DataSource> hosts = (hostUrls.size() > 1)
				? hostUrls.stream().map((url) -> unpooled(dataSource, url, properties)).toList() : List.of(server);
		return new ServerProbe(dialect, server, hosts);
	}

	private static DataSource unpooled(HikariDataSource dataSource, String url, Properties properties) {
		return new DriverDataSource(url, dataSource.getDriverClassName(), properties, dataSource.getUsername(),
				dataSource.getPassword());
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
	 * Reads the server's limits, and its settings for the advisor.
	 * @param settingsRead called with the settings of the host whose limits are kept, where
	 * the advisor knows the server's settings
	 * @return the limits, the smallest among the hosts that answered
	 * @throws SQLException if no host answered
	 */
	ServerLimits readLimits(Consumer<ServerSettings> settingsRead) throws SQLException {
		Reading smallest = null;
		SQLException failure = null;
		for (DataSource host : this.hosts) {
			try {
				Reading reading = read(host);
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
		return smallest.limits();
	}

	private Reading read(DataSource host) throws SQLException {
		AtomicReference<ServerSettings> settings = new AtomicReference<>();
		try (Connection connection = host.getConnection()) {
			ServerLimits limits = this.dialect.readLimits(connection, settings::set);
			return new Reading(limits, settings.get());
		}
	}

	private record Reading(ServerLimits limits, @Nullable ServerSettings settings) {

		int usable() {
			return this.limits.usableConnections();
		}

	}

}
