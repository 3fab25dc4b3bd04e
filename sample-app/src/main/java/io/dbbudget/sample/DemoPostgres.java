package io.dbbudget.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.dbbudget.embedded.Directories;
import io.dbbudget.embedded.PostgresBinaries;
import io.dbbudget.embedded.PostgresPrograms;

/**
 * A throw-away PostgreSQL for trying the sample app on a machine without one: the binaries on
 * the class path, a fresh cluster in a temporary directory, {@code trust} for {@code postgres}
 * on {@code 127.0.0.1} only. {@link #close()} stops it and deletes the directory.
 *
 * @author db-budget team
 */
final class DemoPostgres implements AutoCloseable {

	static final String USERNAME = "postgres";

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private final PostgresPrograms programs;

	private final Path directory;

	private final int port;

	private boolean closed;

	private DemoPostgres(PostgresPrograms programs, Path directory, int port) {
		this.programs = programs;
		this.directory = directory;
		this.port = port;
	}

	/**
	 * Creates a cluster in a new temporary directory and starts it on a free port.
	 * @return the running server
	 */
	static DemoPostgres start() {
		PostgresPrograms programs = PostgresPrograms
			.of(PostgresBinaries.fromClasspath(DemoPostgres.class.getClassLoader()).binDirectory());
		Path directory;
		try {
			directory = Files.createTempDirectory("db-budget-demo-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not create a directory for the demo PostgreSQL", ex);
		}
		DemoPostgres server = new DemoPostgres(programs, directory, freePort());
		try {
			programs.prepareDirectory(directory);
			server.run("initdb", "-D", server.dataDirectory(), "-U", USERNAME, "-A", "trust", "-E", "UTF8",
					"--no-locale", "--no-sync");
			server.run("pg_ctl", "start", "-D", server.dataDirectory(), "-l", directory.resolve("server.log").toString(),
					"-w", "-t", String.valueOf(TIMEOUT.toSeconds()), "-o", "-p " + server.port
							+ " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + directory);
			return server;
		}
		catch (RuntimeException ex) {
			server.close();
			throw ex;
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not find a free port on 127.0.0.1", ex);
		}
	}

	private void run(String program, String... arguments) {
		Path log = this.directory.resolve("commands.log");
		int exit = this.programs.run(this.directory, log, TIMEOUT, program, arguments);
		if (exit != 0) {
			throw new IllegalStateException("The demo PostgreSQL could not start: " + program + " exited with " + exit
					+ System.lineSeparator() + PostgresPrograms.tail(log) + System.lineSeparator()
					+ PostgresPrograms.tail(this.directory.resolve("server.log")));
		}
	}

	private String dataDirectory() {
		return this.directory.resolve("data").toString();
	}

	String jdbcUrl() {
		return "jdbc:postgresql://127.0.0.1:" + this.port + "/postgres";
	}

	Path directory() {
		return this.directory;
	}

	PostgresPrograms programs() {
		return this.programs;
	}

	/**
	 * Stops the server (open sessions are ended) and deletes its directory; closing twice does
	 * nothing.
	 */
	@Override
	public synchronized void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		try {
			if (Files.exists(this.directory.resolve("data/postmaster.pid"))) {
				this.programs.run(this.directory, this.directory.resolve("commands.log"), TIMEOUT, "pg_ctl", "stop", "-D",
						dataDirectory(), "-m", "fast", "-w");
			}
		}
		finally {
			Directories.delete(this.directory);
		}
	}

}
