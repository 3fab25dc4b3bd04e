package io.dbbudget.server.pgbouncer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.PortForwarder;
import io.dbbudget.test.PrivatePgBouncer;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PoolerDetection} against a real PgBouncer in session and in transaction
 * mode, and against the server itself, directly and through a port mapped to another.
 */
class PoolerDetectionTests {

	@AutoClose
	private static PrivateServer server;

	@AutoClose
	private static PrivatePgBouncer pgBouncer;

	@BeforeAll
	static void start() {
		server = PrivateServer.builder().start();
		pgBouncer = PrivatePgBouncer.builder(server)
			.database("sessions", "pool_size=2")
			.database("transactions", "pool_size=2 pool_mode=transaction")
			.start();
	}

	@Test
	void pgBouncerInSessionModeIsDetectedThroughHikari() throws SQLException {
		try (HikariDataSource pool = new HikariDataSource()) {
			pool.setJdbcUrl(pgBouncer.jdbcUrl("sessions"));
			pool.setUsername("app");
			pool.setMaximumPoolSize(1);
			try (Connection connection = pool.getConnection()) {
				assertThat(PoolerDetection.isPooled(connection)).isTrue();
			}
		}
	}

	@Test
	void pgBouncerInTransactionModeIsDetected() throws SQLException {
		try (Connection connection = DriverManager.getConnection(pgBouncer.jdbcUrl("transactions"), "app", "")) {
			assertThat(PoolerDetection.isPooled(connection)).isTrue();
		}
	}

	@Test
	void serverReachedDirectlyIsNotAPooler() throws SQLException {
		try (Connection connection = server.openConnection("postgres")) {
			assertThat(PoolerDetection.isPooled(connection)).isFalse();
		}
	}

	@Test
	void serverReachedThroughAnotherPortIsNotAPooler() throws SQLException {
		try (PortForwarder mapped = PortForwarder.to(server.port());
				Connection connection = DriverManager
					.getConnection("jdbc:postgresql://127.0.0.1:" + mapped.port() + "/postgres", "postgres", "")) {
			assertThat(mapped.port()).isNotEqualTo(server.port());
			assertThat(PoolerDetection.isPooled(connection)).isFalse();
		}
	}

}
