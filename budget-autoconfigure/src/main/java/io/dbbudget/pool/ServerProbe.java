package io.dbbudget.pool;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.server.ServerLimitsReader;
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

	private static final String CONNECT_TIMEOUT_SECONDS = "5";

	private static final String SOCKET_TIMEOUT_SECONDS = "10";

	private final DataSource server;

	private final List<DataSource> hosts;

	private ServerProbe(DataSource server, List<DataSource> hosts) {
		this.server = server;
		this.hosts = hosts;
	}

	static boolean isPostgreSql(HikariDataSource dataSource) {
		String url = dataSource.getJdbcUrl();
		return url != null && url.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:");
	}

	static ServerProbe of(HikariDataSource dataSource, @Nullable String applicationName) {
		Properties properties = new Properties();
		properties.putAll(dataSource.getDataSourceProperties());
		properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
		properties.setProperty("loginTimeout", CONNECT_TIMEOUT_SECONDS);
		properties.setProperty("socketTimeout", SOCKET_TIMEOUT_SECONDS);
		if (applicationName != null && !properties.containsKey(ApplicationName.PROPERTY)) {
			properties.setProperty(ApplicationName.PROPERTY, applicationName);
		}
		DataSource server = unpooled(dataSource, dataSource.getJdbcUrl(), properties);
		List<String> hostUrls = ServerAddress.singleHostUrls(dataSource.getJdbcUrl());
		List<DataSource> hosts = (hostUrls.size() > 1)
				? hostUrls.stream().map((url) -> unpooled(dataSource, url, properties)).toList() : List.of(server);
		return new ServerProbe(server, hosts);
	}

	private static DataSource unpooled(HikariDataSource dataSource, String url, Properties properties) {
		return new DriverDataSource(url, dataSource.getDriverClassName(), properties, dataSource.getUsername(),
				dataSource.getPassword());
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
	 * @param settingsRead called with the settings of the host whose limits are kept
	 * @return the limits, the smallest among the hosts that answered
	 * @throws SQLException if no host answered
	 */
	ServerLimits readLimits(Consumer<ServerSettings> settingsRead) throws SQLException {
		Reading smallest = null;
		SQLException failure = null;
		for (DataSource host : this.hosts) {
			try {
				Reading reading = Reading.of(host);
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
		settingsRead.accept(smallest.settings());
		return smallest.limits();
	}

	private record Reading(ServerLimits limits, ServerSettings settings) {

		static Reading of(DataSource host) throws SQLException {
			AtomicReference<ServerSettings> settings = new AtomicReference<>();
			ServerLimits limits = ServerLimitsReader.read(host, settings::set);
			return new Reading(limits, settings.get());
		}

		int usable() {
			return this.limits.usableConnections();
		}

	}

}
