package io.dbbudget.pool;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.ServerDialect.DriverProperty;
import org.jspecify.annotations.Nullable;

/**
 * Names a pool's sessions after the application, so that the server's session views group the
 * fleet's sessions by service: pgjdbc's {@code ApplicationName}, or the MySQL drivers'
 * {@code program_name} connection attribute.
 *
 * @author db-budget team
 */
public final class ApplicationName {

	private ApplicationName() {
	}

	/**
	 * Sets the driver property that names the sessions, unless the pool's URL or its data
	 * source properties already name them.
	 * @param dataSource the pool, before it starts
	 * @param applicationName the name to use
	 * @return whether the name was set
	 */
	public static boolean apply(HikariDataSource dataSource, String applicationName) {
		DriverProperty property = property(dataSource, applicationName);
		if (property == null) {
			return false;
		}
		dataSource.addDataSourceProperty(property.name(), property.value());
		return true;
	}

	static @Nullable DriverProperty property(HikariDataSource dataSource, String applicationName) {
		ServerDialect dialect = ServerDialect.forUrl(dataSource.getJdbcUrl());
		return (dialect != null)
				? dialect.applicationNameProperty(dataSource.getJdbcUrl(), dataSource.getDataSourceProperties(),
						applicationName)
				: null;
	}

}
