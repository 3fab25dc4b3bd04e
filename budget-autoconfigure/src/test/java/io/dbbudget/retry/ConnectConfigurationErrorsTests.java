package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.test.Ports;
import io.dbbudget.test.PrivateServer;
import io.dbbudget.test.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tests for {@link TransientFailures} and {@link RetryingDataSource} with pgjdbc's real
 * connect-time failures. A host name that does not resolve (08001) and TLS that does not verify
 * (08006) are configuration errors and fail on the first attempt; a refused connection (08001)
 * is an outage and is retried. TLS runs on a private server with a certificate made with
 * openssl for a name that is not the one the clients connect to.
 */
class ConnectConfigurationErrorsTests {

	private static final RetrySettings FOUR_QUICK_ATTEMPTS = new RetrySettings(4, Duration.ofMillis(50), 2.0,
			Duration.ofMillis(200), false);

	private static PrivateServer server;

	private static TestCertificates certificates;

	private final RecordingListener listener = new RecordingListener();

	private final List<HikariDataSource> pools = new ArrayList<>();

	@BeforeAll
	static void startServer() {
		server = PrivateServer.builder().start();
		certificates = TestCertificates.enableTls(server, "db-budget-elsewhere.invalid");
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@AfterEach
	void closePools() {
		this.pools.forEach(HikariDataSource::close);
	}

	@Test
	void serverSpeaksTlsToAClientThatTrustsItsRoot() throws SQLException {
		// verify-ca checks the chain, not the name: what fails below fails for the check alone
		String url = server.jdbcUrl("postgres") + "?sslmode=verify-ca&sslrootcert=" + certificates.rootCertificate();
		try (Connection connection = retrying(url).getConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
			result.next();
			assertThat(result.getBoolean(1)).isTrue();
		}
		assertThat(this.listener.retries).isEmpty();
	}

	@Test
	void certificateOfAnUntrustedRootFailsOnTheFirstAttempt() {
		String url = server.jdbcUrl("postgres") + "?sslmode=verify-full&sslrootcert="
				+ certificates.otherRootCertificate();
		assertFailsOnTheFirstAttempt(url, "08006", "tls");
	}

	@Test
	void certificateForAnotherHostNameFailsOnTheFirstAttempt() {
		String url = server.jdbcUrl("postgres") + "?sslmode=verify-full&sslrootcert=" + certificates.rootCertificate();
		SQLException failure = assertFailsOnTheFirstAttempt(url, "08006", "tls");
		assertThat(failure.getMessage()).contains("could not be verified");
	}

	@Test
	void missingRootCertificateFileFailsOnTheFirstAttempt() {
		String url = server.jdbcUrl("postgres") + "?sslmode=verify-full&sslrootcert="
				+ server.directory().resolve("no-such-root.crt");
		assertFailsOnTheFirstAttempt(url, "08006", "tls");
	}

	@Test
	void tlsRequiredOfAServerWithoutTlsFailsOnTheFirstAttempt() {
		certificates.turnOff(server);
		try {
			assertFailsOnTheFirstAttempt(server.jdbcUrl("postgres") + "?sslmode=require", "08004", "08004");
		}
		finally {
			certificates.turnOn(server);
		}
	}

	@Test
	void hostNameThatDoesNotResolveFailsOnTheFirstAttempt() {
		assertFailsOnTheFirstAttempt("jdbc:postgresql://no-such-host.invalid:5432/postgres", "08001", "unknown-host");
	}

	@Test
	void hostNameThatDoesNotResolveIsPermanentInsideAPoolTimeout() {
		HikariDataSource pool = pool("jdbc:postgresql://no-such-host.invalid:5432/postgres");
		// The pool starts without a connection and keeps trying in the background, as after a
		// start with the server down
		pool.setInitializationFailTimeout(-1);
		// Long enough for the first attempt to have failed, also on a busy machine
		pool.setConnectionTimeout(5000);
		assertThatExceptionOfType(SQLException.class).isThrownBy(pool::getConnection).satisfies((ex) -> {
			assertThat(ex.getMessage()).contains("request timed out");
			assertThat(TransientFailures.reason(ex)).isNull();
			assertThat(TransientFailures.tag(ex)).isEqualTo("unknown-host");
		});
	}

	@Test
	void refusedConnectionIsRetried() {
		String url = "jdbc:postgresql://127.0.0.1:" + Ports.closed() + "/postgres";
		assertThatExceptionOfType(SQLException.class).isThrownBy(retrying(url)::getConnection)
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("08001"));
		assertThat(this.listener.retries).containsExactly("08001", "08001", "08001");
		assertThat(this.listener.failures).containsExactly("08001");
	}

	private SQLException assertFailsOnTheFirstAttempt(String url, String sqlState, String reason) {
		RetryingDataSource dataSource = retrying(url);
		SQLException failure = assertThrows(SQLException.class, () -> dataSource.getConnection().close());
		assertThat(failure.getSQLState()).isEqualTo(sqlState);
		assertThat(this.listener.retries).isEmpty();
		assertThat(this.listener.failures).containsExactly(reason);
		return failure;
	}

	private RetryingDataSource retrying(String url) {
		return new RetryingDataSource(pool(url), "test", FOUR_QUICK_ATTEMPTS, Duration.ofMillis(500), this.listener);
	}

	private HikariDataSource pool(String url) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(url);
		pool.setUsername(server.username());
		pool.setMaximumPoolSize(1);
		pool.setConnectionTimeout(500);
		this.pools.add(pool);
		return pool;
	}

}
