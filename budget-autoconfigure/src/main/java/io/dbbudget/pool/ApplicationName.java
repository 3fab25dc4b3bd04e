package io.dbbudget.pool;

import java.util.Locale;

import com.zaxxer.hikari.HikariDataSource;

/**
 * Names a PostgreSQL pool's sessions after the application, so that
 * {@code pg_stat_activity.application_name} groups the fleet's sessions by service.
 *
 * @author db-budget team
 */
public final class ApplicationName {

	static final String PROPERTY = "ApplicationName";

	private ApplicationName() {
	}

	/**
	 * Sets pgjdbc's {@code ApplicationName} on a PostgreSQL pool unless its URL or its data
	 * source properties already set one.
	 * @param dataSource the pool, before it starts
	 * @param applicationName the name to use
	 * @return whether the name was set
	 */
	public static boolean apply(HikariDataSource dataSource, String applicationName) {
		if (!ServerProbe.isPostgreSql(dataSource) || isSet(dataSource)) {
			return false;
		}
		dataSource.addDataSourceProperty(PROPERTY, applicationName);
		return true;
	}

	private static boolean isSet(HikariDataSource dataSource) {
		String url = dataSource.getJdbcUrl().toLowerCase(Locale.ROOT);
		return url.contains("applicationname=") || dataSource.getDataSourceProperties()
			.stringPropertyNames()
			.stream()
			.anyMatch(PROPERTY::equalsIgnoreCase);
	}

}
