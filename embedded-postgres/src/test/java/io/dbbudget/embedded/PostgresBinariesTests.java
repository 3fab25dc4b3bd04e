package io.dbbudget.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unpacks the binaries on the test class path and runs them.
 */
class PostgresBinariesTests {

	@Test
	void bundleNamesFollowTheBinariesJars() {
		assertThat(PostgresBinaries.bundleName("Linux", "amd64")).isEqualTo("postgres-linux-x86_64.txz");
		assertThat(PostgresBinaries.bundleName("Linux", "aarch64")).isEqualTo("postgres-linux-arm_64.txz");
		assertThat(PostgresBinaries.bundleName("Mac OS X", "aarch64")).isEqualTo("postgres-darwin-arm_64.txz");
		assertThat(PostgresBinaries.bundleName("Mac OS X", "x86_64")).isEqualTo("postgres-darwin-x86_64.txz");
	}

	@Test
	void unpackedProgramsRunAndAreReusedByTheNextCaller(@TempDir Path logs) throws Exception {
		PostgresBinaries binaries = PostgresBinaries.fromClasspath(getClass().getClassLoader());
		Path bin = binaries.binDirectory();
		assertThat(bin.resolve("initdb")).isExecutable();
		// Everyone may read and run them: the server user is not the user that unpacked them.
		assertThat(Files.getPosixFilePermissions(bin.resolve("postgres"))).contains(PosixFilePermission.OTHERS_READ,
				PosixFilePermission.OTHERS_EXECUTE);
		assertThat(Files.getPosixFilePermissions(bin)).contains(PosixFilePermission.OTHERS_EXECUTE);

		PostgresPrograms programs = PostgresPrograms.of(bin);
		Path log = logs.resolve("pg_ctl.log");
		// Run as the server user when this is root: the same way initdb and the server run.
		int exit = programs.run(bin, log, Duration.ofSeconds(30), "pg_ctl", "--version");
		assertThat(exit).isZero();
		assertThat(Files.readString(log).trim()).isEqualTo("pg_ctl (PostgreSQL) " + programs.version());
		assertThat(programs.version()).matches("\\d+\\.\\d+");

		assertThat(PostgresBinaries.fromClasspath(getClass().getClassLoader()).binDirectory()).isEqualTo(bin);
	}

}
