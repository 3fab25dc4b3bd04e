package io.dbbudget.retry;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
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
	void poolTimeoutWithoutAConnectionFailureIsTransient() {
		SQLException timeout = new SQLTransientConnectionException("HikariPool-1 - Connection is not available");
		assertThat(TransientFailures.reason(timeout)).isEqualTo(TransientFailures.POOL_TIMEOUT);
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
