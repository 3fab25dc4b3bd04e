package io.dbbudget.server;

import java.sql.SQLException;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link EndedSessionStates}.
 */
class EndedSessionStatesTests {

	@Test
	void postgreSqlSessionEndingsMatchByState() {
		for (String state : Set.of("57P01", "57P02", "57P03", "08006")) {
			assertThat(EndedSessionStates.POSTGRESQL.match(new SQLException("ended", state))).isEqualTo(state);
		}
	}

	@Test
	void otherFailuresDoNotMatch() {
		assertThat(EndedSessionStates.POSTGRESQL.match(new SQLException("syntax", "42601"))).isNull();
		assertThat(EndedSessionStates.POSTGRESQL.match(new SQLException("too many clients", "53300"))).isNull();
		assertThat(EndedSessionStates.POSTGRESQL.match(new SQLException("no state"))).isNull();
	}

	@Test
	void aProductWithoutUsefulStatesMatchesByErrorCode() {
		EndedSessionStates states = new EndedSessionStates(Set.of(), Set.of(1927));
		assertThat(states.match(new SQLException("Connection was killed", "70100", 1927))).isEqualTo("1927");
		assertThat(states.match(new SQLException("Query execution was interrupted", "70100", 1317))).isNull();
	}

}
