package io.dbbudget.pool;

import java.util.Locale;
import java.util.Properties;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import org.jspecify.annotations.Nullable;

/**
 * An unpooled DataSource with a pool's own URL, driver, credentials and properties, used to ask
 * the server for its limits on one short-lived connection. Its timeouts are short so that
 * start-up never waits long on a server that is down.
 *
 * @author db-budget team
 */
final class ServerProbe {

	private static final String CONNECT_TIMEOUT_SECONDS = "5";

	private static final String SOCKET_TIMEOUT_SECONDS = "10";

	private ServerProbe() {
	}

	static boolean isPostgreSql(HikariDataSource dataSource) {
		String url = dataSource.getJdbcUrl();
		return url != null && url.toLowerCase(Locale.ROOT).startsWith("jdbc:postgresql:");
	}

	static DataSource of(HikariDataSource dataSource, @Nullable String applicationName) {
		Properties properties = new Properties();
		properties.putAll(dataSource.getDataSourceProperties());
		properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
		properties.setProperty("loginTimeout", CONNECT_TIMEOUT_SECONDS);
		properties.setProperty("socketTimeout", SOCKET_TIMEOUT_SECONDS);
		if (applicationName != null && !properties.containsKey(ApplicationName.PROPERTY)) {
			properties.setProperty(ApplicationName.PROPERTY, applicationName);
		}
		return new DriverDataSource(dataSource.getJdbcUrl(), dataSource.getDriverClassName(), properties,
				dataSource.getUsername(), dataSource.getPassword());
	}

}
