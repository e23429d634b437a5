namespace Multifd.Specifications;

/// <summary>A property's view of each device, created on first use.</summary>
public sealed class PerDevice<T> : Dictionary<string, T>
    where T : new()
{
    /// <summary>The view of <paramref name="device"/>, created empty the first time.</summary>
    public T Of(string device)
    {
        if (!TryGetValue(device, out var view))
        {
            view = new T();
            this[device] = view;
        }

        return view;
    }
}
