using System.Text;

namespace OnePasswordConnector.DemoBridge;

/// <summary>Generates a 1Password-like team: built-in groups, a service user, people with real-looking names.</summary>
internal static class DemoTeam
{
    public const string Domain = "example.com";
    public const string UserIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    public const string GroupIdAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    // Fixed dates keep a generated team identical from run to run, whatever the clock says.
    private static readonly DateTimeOffset Founded = new(2021, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset GeneratedAt = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    // A few non-ASCII names and apostrophes, because real directories have them and clients must cope.
    private static readonly string[] GivenNames =
    [
        "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James", "Mia", "William",
        "Amelia", "Lucas", "Harper", "Mateo", "Evelyn", "Ethan", "Zoë", "José", "Søren", "Łukasz", "Siobhán", "François",
        "Björn", "Chloé", "Priya", "Arjun", "Wei", "Mei", "Yuki", "Hiroshi", "Ngozi", "Chinedu", "Fatima", "Omar",
        "Aisha", "Mohammed", "Ana", "João", "Sofía", "Diego", "Ingrid", "Lars", "Aoife", "Cian", "Nadia", "Ivan",
    ];

    private static readonly string[] FamilyNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodriguez", "Martinez", "Nguyen",
        "Patel", "Kim", "O'Brien", "Müller", "Kowalski", "Johansson", "Rossi", "Dubois", "Tanaka", "Silva", "Okafor",
        "van der Berg", "Andersen", "Novák", "Ivanova", "Haddad", "Cohen", "Chen", "Wang", "Singh", "Kaur", "Murphy",
        "Kelly", "Walsh", "Fischer", "Schneider", "Lopez", "Hernández", "Moreau", "Bianchi", "Yilmaz", "Sato", "Park",
    ];

    private static readonly string[] Departments =
    [
        "Engineering", "Sales", "Marketing", "Finance", "Legal", "Customer Support", "Design", "Product", "Security",
        "IT", "People", "Operations", "Data", "Quality Assurance", "Platform", "Customer Success", "Partnerships",
        "Research",
    ];

    private static readonly string[] Regions = ["", " EMEA", " APAC", " Americas"];

    public static void Populate(DemoDirectory directory, int people, int teamGroups, int membershipsPerUser, bool everyoneGroup)
    {
        var random = directory.Random;
        var provisionManager = new DemoUser(directory.NewId(UserIdAlphabet), $"provision-manager@{Domain}", "Provision",
            "Manager", "Provision Manager", $"provision-manager@{Domain}", true, Founded, Founded);
        directory.Put(provisionManager);

        var inactive = new HashSet<int>();
        var inactiveCount = Math.Max(people >= 10 ? 2 : 0, people / 25);
        while (inactive.Count < inactiveCount)
        {
            inactive.Add(random.Next(2, people));
        }

        var emailCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var persons = new List<DemoUser>(people);
        for (var i = 0; i < people; i++)
        {
            var given = GivenNames[random.Next(GivenNames.Length)];
            var family = FamilyNames[random.Next(FamilyNames.Length)];
            var local = $"{EmailPart(given)}.{EmailPart(family)}";
            var seen = emailCounts.GetValueOrDefault(local);
            emailCounts[local] = seen + 1;
            var email = seen == 0 ? $"{local}@{Domain}" : $"{local}{seen + 1}@{Domain}";
            var created = RandomTime(random, Founded, GeneratedAt);
            var user = new DemoUser(directory.NewId(UserIdAlphabet), email, given, family, $"{given} {family}", email,
                !inactive.Contains(i), created, RandomTime(random, created, GeneratedAt));
            directory.Put(user);
            persons.Add(user);
        }

        var owners = persons.Take(2).Select(u => u.Id);
        var administrators = Enumerable.Range(0, Math.Min(persons.Count, Math.Clamp(people / 100, 2, 25)))
            .Select(_ => persons[random.Next(persons.Count)].Id).Distinct().ToList();
        AddGroup(directory, "Owners", owners, Founded);
        AddGroup(directory, "Administrators", administrators, Founded);
        AddGroup(directory, "Provision Managers", [provisionManager.Id], Founded);

        var members = Enumerable.Range(0, teamGroups).Select(_ => new List<string>()).ToArray();
        var picked = new HashSet<int>();
        foreach (var person in persons)
        {
            picked.Clear();
            while (picked.Count < Math.Min(membershipsPerUser, teamGroups))
            {
                // Skewed towards the first groups, so group sizes vary as they do in real teams.
                picked.Add((int)(teamGroups * Math.Pow(random.NextDouble(), 1.6)));
            }

            foreach (var index in picked)
            {
                members[index].Add(person.Id);
            }
        }

        for (var i = 0; i < teamGroups; i++)
        {
            AddGroup(directory, TeamGroupName(i), members[i], RandomTime(random, Founded, GeneratedAt));
        }

        if (everyoneGroup)
        {
            AddGroup(directory, "Everyone", persons.Select(u => u.Id), Founded);
        }
    }

    public static string EmailPart(string name)
    {
        var part = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            var folded = c switch
            {
                'á' or 'à' or 'ä' or 'å' or 'ã' => 'a',
                'é' or 'è' or 'ë' or 'ê' => 'e',
                'í' or 'ï' => 'i',
                'ó' or 'ö' or 'ø' or 'ô' => 'o',
                'ú' or 'ü' => 'u',
                'ñ' => 'n',
                'ç' => 'c',
                'ł' => 'l',
                _ => c,
            };
            if (char.IsAsciiLetterOrDigit(folded))
            {
                part.Append(folded);
            }
        }

        return part.ToString();
    }

    private static string TeamGroupName(int index) =>
        index < Departments.Length * Regions.Length
            ? Departments[index % Departments.Length] + Regions[index / Departments.Length]
            : $"Project {index + 1:D4}";

    private static void AddGroup(DemoDirectory directory, string name, IEnumerable<string> memberIds, DateTimeOffset created) =>
        directory.Put(new DemoGroup(directory.NewId(GroupIdAlphabet), name, [.. memberIds], created,
            RandomTime(directory.Random, created, GeneratedAt)));

    private static DateTimeOffset RandomTime(Random random, DateTimeOffset from, DateTimeOffset to) =>
        from.AddSeconds(random.NextInt64((long)(to - from).TotalSeconds + 1));
}
