package io.dbbudget.retry;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TransientFailures}.
 */
class TransientFailuresTests {

	@ParameterizedTest
	@ValueSource(strings = { "53300", "57P01", "57P02", "57P03", "08001", "08006" })
	void serverFullRestartingOrUnreachableIsTransient(String state) {
		assertThat(TransientFailures.reason(new SQLException("failed", state))).isEqualTo(state);
	}

	@ParameterizedTest
	@ValueSource(strings = { "28P01", "28000", "3D000", "42501", "08004", "42P01", "XX000" })
	void wrongCredentialsUnknownDatabaseAndEverythingElseArePermanent(String state) {
		assertThat(TransientFailures.reason(new SQLException("failed", state))).isNull();
		assertThat(TransientFailures.tag(new SQLException("failed", state))).isEqualTo(state);
	}

	@Test
	void poolTimeoutCarryingTheDriverErrorTakesItsState() {
		SQLException driverError = new SQLException("sorry, too many clients already", "53300");
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available",
				"53300", driverError);
		assertThat(TransientFailures.reason(timeout)).isEqualTo("53300");
	}

	@Test
	void poolTimeoutCausedByAWrongPasswordIsPermanent() {
		SQLException driverError = new SQLException("password authentication failed", "28P01");
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available",
				"28P01", driverError);
		assertThat(TransientFailures.reason(timeout)).isNull();
	}

	@Test
	void poolTimeoutWithoutAConnectionFailureIsLeftToThePoolsStateAndTaggedAsSuch() {
		// No reason of its own: RetryingDataSource retries it only while the pool holds fewer
		// connections than its maximum (PoolTimeoutRetryTests)
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available");
		assertThat(TransientFailures.reason(timeout)).isNull();
		assertThat(TransientFailures.isPoolTimeout(timeout)).isTrue();
		assertThat(TransientFailures.tag(timeout)).isEqualTo(TransientFailures.POOL_TIMEOUT);
	}

	@Test
	void driversOwnTransientConnectionErrorWithAStateIsNoPoolTimeout() {
		SQLException failure = new SQLTransientConnectionException("connection rejected", "08004");
		assertThat(TransientFailures.isPoolTimeout(failure)).isFalse();
		assertThat(TransientFailures.tag(failure)).isEqualTo("08004");
	}

	@Test
	void wrappedPoolTimeoutIsStillTaggedAsOne() {
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available");
		SQLException wrapper = new SQLException(timeout.getMessage(), timeout.getSQLState(), timeout);
		assertThat(TransientFailures.reason(wrapper)).isNull();
		assertThat(TransientFailures.tag(wrapper)).isEqualTo(TransientFailures.POOL_TIMEOUT);
	}

	@Test
	void unknownHostBehindA08001IsPermanent() {
		SQLException failure = new SQLException("The connection attempt failed.", "08001",
				new UnknownHostException("no-such-host.invalid"));
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo("unknown-host");
	}

	@Test
	void unknownHostInsideAPoolTimeoutIsPermanent() {
		SQLException driverError = new SQLException("The connection attempt failed.", "08001",
				new UnknownHostException("no-such-host.invalid"));
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available",
				"08001", driverError);
		assertThat(TransientFailures.reason(timeout)).isNull();
		assertThat(TransientFailures.tag(timeout)).isEqualTo("unknown-host");
	}

	@Test
	void refusedConnectionBehindA08001StaysTransient() {
		SQLException failure = new SQLException("Connection to 127.0.0.1:5432 refused.", "08001",
				new ConnectException("Connection refused"));
		assertThat(TransientFailures.reason(failure)).isEqualTo("08001");
	}

	@Test
	void certificateThatDoesNotVerifyBehindA08006IsPermanent() {
		SSLException handshake = new SSLHandshakeException("PKIX path building failed");
		handshake.initCause(new CertificateException("unable to find valid certification path"));
		SQLException failure = new SQLException("SSL error: PKIX path building failed", "08006", handshake);
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo("tls");
	}

	@Test
	void handshakeCutShortByTheServerGoingDownStaysTransient() {
		SSLException handshake = new SSLHandshakeException("Remote host terminated the handshake");
		handshake.initCause(new EOFException("SSL peer shut down incorrectly"));
		SQLException failure = new SQLException("SSL error: Remote host terminated the handshake", "08006", handshake);
		assertThat(TransientFailures.reason(failure)).isEqualTo("08006");
	}

	@Test
	void classNamedInTheSettingsThatCannotBeLoadedIsPermanent() {
		SQLException failure = new SQLException("The SocketFactory class provided no.such.Factory could not be "
				+ "instantiated.", "08006", new ClassNotFoundException("no.such.Factory"));
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo("driver-class");
	}

	// PgBouncer's own texts, as pgjdbc shows them ("FATAL: " + message), from PgBouncer 1.18 to 1.24
	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			FATAL: no more connections allowed (max_client_conn)                                | pgbouncer-full
			FATAL: client connections exceeded (max_db_client_connections)                      | pgbouncer-full
			FATAL: client connections exceeded (max_user_client_connections)                    | pgbouncer-full
			FATAL: server login has been failing, try again later (server_login_retry)          | pgbouncer-server-down
			FATAL: server login has been failing, cached error: connect failed (server_login_retry) | pgbouncer-server-down
			FATAL: pgbouncer cannot connect to server                                           | pgbouncer-server-down
			FATAL: client_login_timeout (server down)                                           | pgbouncer-server-down
			FATAL: server shutting down                                                         | pgbouncer-shutting-down
			FATAL: pooler is shutting down                                                      | pgbouncer-shutting-down
			FATAL: database "orders" is disabled                                                | pgbouncer-database-disabled
			FATAL: sorry, too many clients already                                              | pgbouncer-server-full
			FATAL: the database system is starting up                                           | pgbouncer-server-starting-or-stopping
			""")
	void pgBouncersTransientErrorsAreRetried(String message, String reason) {
		SQLException failure = new SQLException(message, "08P01");
		assertThat(TransientFailures.reason(failure)).isEqualTo(reason);
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available",
				"08P01", failure);
		assertThat(TransientFailures.reason(timeout)).isEqualTo(reason);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			FATAL: query_wait_timeout                                  | pgbouncer-query-wait-timeout
			FATAL: no such database: orders                            | pgbouncer-no-such-database
			FATAL: password authentication failed                      | pgbouncer-authentication
			FATAL: SASL authentication failed                          | pgbouncer-authentication
			FATAL: no such user                                        | pgbouncer-authentication
			FATAL: unsupported startup parameter: options              | pgbouncer-startup-parameter
			FATAL: SSL required                                        | pgbouncer-ssl-required
			FATAL: bouncer config error                                | pgbouncer-configuration
			FATAL: server login failed: wrong password type            | 08P01
			""")
	void pgBouncersOtherErrorsFailAtOnceTaggedByKind(String message, String tag) {
		SQLException failure = new SQLException(message, "08P01");
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo(tag);
	}

	@Test
	void pgBouncersTextsUnderAnotherStateAreNotPgBouncers() {
		SQLException failure = new SQLException("no more connections allowed (max_client_conn)", "XX000");
		assertThat(TransientFailures.reason(failure)).isNull();
		assertThat(TransientFailures.tag(failure)).isEqualTo("XX000");
	}

	@Test
	void transientStateDeeperInTheCauseChainIsFound() {
		SQLException wrapper = new SQLException("wrapper", null, new SQLException("shutting down", "57P01"));
		assertThat(TransientFailures.reason(wrapper)).isEqualTo("57P01");
	}

	@Test
	void interruptedAcquisitionIsPermanent() {
		SQLException interrupted = new SQLException("Interrupted during connection acquisition", null,
				new InterruptedException());
		assertThat(TransientFailures.reason(interrupted)).isNull();
		assertThat(TransientFailures.tag(interrupted)).isEqualTo("other");
	}

}
