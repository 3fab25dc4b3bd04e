package io.dbbudget.test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.dbbudget.embedded.PostgresPrograms;

/**
 * Self-signed certificates made with {@code openssl} for TLS on a {@link PrivateServer}: a
 * root certificate that signs the server's certificate, and another root that signs nothing
 * the server shows. Files live in the server's directory and go with it.
 */
public final class TestCertificates {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	private final Path rootCertificate;

	private final Path otherRootCertificate;

	private final Path serverCertificate;

	private final Path serverKey;

	private TestCertificates(Path directory) {
		this.rootCertificate = directory.resolve("root.crt");
		this.otherRootCertificate = directory.resolve("other-root.crt");
		this.serverCertificate = directory.resolve("server.crt");
		this.serverKey = directory.resolve("server.key");
	}

	/**
	 * Makes the certificates and turns TLS on for the server.
	 * @param server the server
	 * @param serverName the name the server's certificate is issued to
	 * @return the certificates
	 */
	public static TestCertificates enableTls(PrivateServer server, String serverName) {
		Path directory = server.directory().resolve("tls");
		TestCertificates certificates = new TestCertificates(directory);
		try {
			Files.createDirectories(directory);
			certificates.create(directory, serverName);
			for (Path file : List.of(directory, certificates.serverCertificate, certificates.serverKey)) {
				PostgresCommands.get().prepareDirectory(file);
			}
			// The server refuses a key that others may read
			Files.setPosixFilePermissions(certificates.serverKey, PosixFilePermissions.fromString("rw-------"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not make certificates in " + directory, ex);
		}
		certificates.turnOn(server);
		return certificates;
	}

	/**
	 * Turns TLS on for the server with these certificates (a reload, no restart).
	 * @param server the server
	 */
	public void turnOn(PrivateServer server) {
		configure(server, true, "ALTER SYSTEM SET ssl_cert_file = '" + this.serverCertificate + "'",
				"ALTER SYSTEM SET ssl_key_file = '" + this.serverKey + "'", "ALTER SYSTEM SET ssl = on");
	}

	/**
	 * Turns TLS off for the server (a reload, no restart).
	 * @param server the server
	 */
	public void turnOff(PrivateServer server) {
		configure(server, false, "ALTER SYSTEM SET ssl = off");
	}

	/**
	 * Returns the root certificate that signed the server's certificate.
	 * @return the PEM file
	 */
	public Path rootCertificate() {
		return this.rootCertificate;
	}

	/**
	 * Returns a root certificate that did not sign the server's certificate.
	 * @return the PEM file
	 */
	public Path otherRootCertificate() {
		return this.otherRootCertificate;
	}

	private void create(Path directory, String serverName) {
		// Elliptic-curve keys: made in milliseconds even on a busy machine
		newKey(directory, "/CN=db-budget test root", "root", true);
		newKey(directory, "/CN=db-budget other root", "other-root", true);
		newKey(directory, "/CN=" + serverName, "server", false);
		openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "root.crt", "-CAkey", "root.key",
				"-CAcreateserial", "-days", "2", "-out", "server.crt");
	}

	// A key with a self-signed certificate (name.crt), or with a request for the root to sign
	// (name.csr)
	private static void newKey(Path directory, String subject, String name, boolean selfSigned) {
		List<String> arguments = new ArrayList<>(List.of("req", "-newkey", "ec", "-pkeyopt",
				"ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", subject, "-keyout", name + ".key",
				"-out", name + (selfSigned ? ".crt" : ".csr")));
		if (selfSigned) {
			arguments.add("-x509");
		}
		openssl(directory, arguments.toArray(String[]::new));
	}

	private static void openssl(Path directory, String... arguments) {
		List<String> command = new ArrayList<>(List.of("openssl"));
		command.addAll(List.of(arguments));
		Path log = directory.resolve("openssl.log");
		try {
			Process process = new ProcessBuilder(command).directory(directory.toFile())
				.redirectErrorStream(true)
				.redirectOutput(Redirect.appendTo(log.toFile()))
				.redirectInput(Redirect.from(new File("/dev/null")))
				.start();
			if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException(String.join(" ", command) + " did not finish within "
						+ TIMEOUT.toSeconds() + " s");
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException(String.join(" ", command) + " failed with exit code "
						+ process.exitValue() + System.lineSeparator() + PostgresPrograms.tail(log));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not run openssl: install it, for example with "
					+ "'apt-get install -y openssl'", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while running " + String.join(" ", command), ex);
		}
	}

	private static void configure(PrivateServer server, boolean tls, String... statements) {
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
			statement.execute("SELECT pg_reload_conf()");
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not configure TLS on " + server + ": " + ex.getMessage(), ex);
		}
		awaitReload(server, tls);
	}

	// The postmaster reloads its configuration asynchronously; new sessions see the result
	private static void awaitReload(PrivateServer server, boolean tls) {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		String expected = tls ? "on" : "off";
		while (true) {
			String failure;
			try (Connection connection = server.openConnection("postgres");
					Statement statement = connection.createStatement();
					ResultSet result = statement.executeQuery("SHOW ssl")) {
				result.next();
				if (expected.equals(result.getString(1))) {
					return;
				}
				failure = "ssl is " + result.getString(1);
			}
			catch (SQLException ex) {
				// A busy machine may take longer than a login timeout to answer while it reloads
				failure = ex.getMessage();
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("ssl did not become " + expected + " on " + server + " within "
						+ TIMEOUT.toSeconds() + " s: " + failure);
			}
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while waiting for " + server, ex);
			}
		}
	}

}
