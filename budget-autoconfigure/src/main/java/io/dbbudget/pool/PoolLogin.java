package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariCredentialsProvider;
import com.zaxxer.hikari.util.Credentials;
import com.zaxxer.hikari.util.DriverDataSource;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * Logs db-budget's own connections in as a pool logs in its own. Hikari takes the credentials
 * afresh for every connection it opens: from its {@code credentialsProvider} when it has one,
 * else its {@code username} and {@code password}. A provider may hand out short-lived
 * credentials (a cloud IAM token, a secret that rotates), so they are taken the same way, at
 * every connection, never copied once.
 *
 * @author db-budget team
 */
final class PoolLogin {

	private final HikariConfig pool;

	/**
	 * The login of a pool.
	 * @param pool the pool's configuration
	 */
	PoolLogin(HikariConfig pool) {
		this.pool = pool;
	}

	/**
	 * The credentials the pool's next connection would log in with.
	 * @return the credentials; their user name is {@code null} where the driver takes it from
	 * the URL or the properties
	 */
	Credentials credentials() {
		HikariCredentialsProvider provider = this.pool.getCredentialsProvider();
		return (provider != null) ? provider.getCredentials() : this.pool.getCredentials();
	}

	/**
	 * Driver properties with the pool's credentials, for a connection the driver opens itself.
	 * @param properties the pool's driver properties
	 * @return a copy of them, with {@code user} and {@code password} where the pool has them
	 */
	Properties properties(Properties properties) {
		Properties withCredentials = new Properties();
		withCredentials.putAll(properties);
		Credentials credentials = credentials();
		if (credentials.getUsername() != null) {
			withCredentials.setProperty("user", credentials.getUsername());
		}
		if (credentials.getPassword() != null) {
			withCredentials.setProperty("password", credentials.getPassword());
		}
		return withCredentials;
	}

	/**
	 * Unpooled connections with the pool's driver and a URL, logged in as the pool's are.
	 * @param url the URL
	 * @param properties the driver properties
	 * @return the DataSource
	 */
	DataSource unpooled(String url, Properties properties) {
		return new LoggedIn(new DriverDataSource(url, this.pool.getDriverClassName(), properties, null, null));
	}

	private final class LoggedIn extends DelegatingDataSource {

		LoggedIn(DataSource driver) {
			super(driver);
		}

		@Override
		public Connection getConnection() throws SQLException {
			// As Hikari does: without a user name, the driver's own defaults
			Credentials credentials = credentials();
			return (credentials.getUsername() != null)
					? obtainTargetDataSource().getConnection(credentials.getUsername(), credentials.getPassword())
					: obtainTargetDataSource().getConnection();
		}

	}

}
